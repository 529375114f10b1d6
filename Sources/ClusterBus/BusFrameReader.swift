// Framing of the cluster bus TCP stream, as Redis 7.0's clusterReadHandler does it: read the first
// 8 bytes (signature + totlen), reject the stream if the signature is not "RCmb" or totlen is
// below CLUSTERMSG_MIN_LEN (the 2256-byte header), then read totlen bytes and hand them over as
// one message. A framing error means the stream can no longer be split into messages: Redis frees
// the link, and so must the transport (the reader stays failed).
//
// A message that frames fine but fails BusCodec.decode does NOT end the stream: Redis 7.0's
// clusterProcessPacket returns "link still valid" for every failed sanity check (bad version,
// wrong length for the type, bad extensions...) and simply ignores the packet. So it comes out as
// `BusInbound.malformed`, for the transport to count, log and drop.
//
// Unlike Redis, which trusts totlen up to 4 GiB, we cap it (`maximumMessageLength`, 64 MiB by
// default: a PING with 65535 gossip entries is under 7 MiB, so only a PUBLISH can get near it;
// raise it if the node accepts bigger Pub/Sub payloads). Nothing is ever allocated from totlen:
// bytes are kept as they arrive.

#if canImport(Cluster)
import Cluster
#endif

/// What one framed message turned out to be.
public enum BusInbound: Sendable, Hashable {
    case message(ClusterMessage)
    /// Framed, but not a message we accept: log the reason (BusDecodeError.reason), drop the
    /// message, keep the link.
    case malformed(String)

    /// Decodes one whole framed message.
    public init(decoding bytes: UnsafeRawBufferPointer) {
        do throws(BusDecodeError) {
            self = .message(try BusCodec.decode(bytes))
        } catch {
            self = .malformed(error.reason)
        }
    }
}

/// The byte stream cannot be split into messages any more: the link must be closed.
public struct BusFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case badSignature
        /// totlen below the 2256-byte header.
        case tooShort
        /// totlen above the reader's maximum.
        case tooLong
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}

public struct BusFrameReader: Sendable {
    public static let defaultMaximumMessageLength = 64 * 1024 * 1024

    /// Looks at the start of the stream: nil while fewer than 8 bytes are there, otherwise the
    /// totlen of the message starting at `bytes` (which may not all be there yet).
    public static func frameLength(
        _ bytes: UnsafeRawBufferPointer, maximumMessageLength: Int = defaultMaximumMessageLength
    ) throws(BusFrameError) -> Int? {
        guard bytes.count >= 8 else { return nil }
        guard bytes[0] == 0x52, bytes[1] == 0x43, bytes[2] == 0x6D, bytes[3] == 0x62 else {  // "RCmb"
            let shown = (0..<4).map { String(bytes[$0], radix: 16) }.joined(separator: " ")
            throw BusFrameError(.badSignature, "bad cluster bus signature (bytes \(shown)), expected RCmb")
        }
        let length = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard length >= BusLayout.headerLength else {
            throw BusFrameError(.tooShort, "cluster bus message length \(length) is below the \(BusLayout.headerLength)-byte header")
        }
        guard length <= maximumMessageLength else {
            throw BusFrameError(.tooLong, "cluster bus message length \(length) is above the \(maximumMessageLength)-byte limit")
        }
        return length
    }

    public let maximumMessageLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: BusFrameError?

    public init(maximumMessageLength: Int = BusFrameReader.defaultMaximumMessageLength) {
        self.maximumMessageLength = maximumMessageLength
    }

    /// Bytes received and not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The bytes of the next whole message, nil until they have all arrived.
    public mutating func nextFrame() throws(BusFrameError) -> [UInt8]? {
        guard let range = try nextRange() else { return nil }
        start = range.upperBound
        return Array(buffer[range])
    }

    /// The next whole message, decoded; nil until it has fully arrived.
    public mutating func next() throws(BusFrameError) -> BusInbound? {
        guard let range = try nextRange() else { return nil }
        start = range.upperBound
        return buffer.withUnsafeBytes { BusInbound(decoding: UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    private mutating func nextRange() throws(BusFrameError) -> Range<Int>? {
        if let failure { throw failure }
        let result: Result<Int?, BusFrameError> = buffer.withUnsafeBytes { raw in
            do throws(BusFrameError) {
                return .success(try Self.frameLength(UnsafeRawBufferPointer(rebasing: raw[start...]), maximumMessageLength: maximumMessageLength))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .failure(let error):
            failure = error
            throw error
        case .success(let length):
            guard let length, bufferedByteCount >= length else { return nil }
            return start..<start + length
        }
    }

    /// Drops the consumed prefix once it is at least half the buffer, so the copying stays
    /// proportional to the bytes received.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
