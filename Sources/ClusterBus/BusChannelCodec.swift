// The codec as NIO channel handlers, for
//
//     pipeline.addHandlers(ByteToMessageHandler(BusMessageDecoder()),
//                          MessageToByteHandler(BusMessageEncoder()), ...)
//
// Inbound, each framed message comes out as a `BusInbound`: `.message` or `.malformed` (framed but
// invalid: Redis 7.0 ignores such a packet and keeps the link, so the transport logs and drops it).
// A framing error (bad signature, totlen below the header or above the limit) is thrown as a
// `BusFrameError`: ByteToMessageHandler passes it to `errorCaught` and stops decoding, and the
// transport must close the channel there, as Redis frees the link.

import NIOCore

#if canImport(Cluster)
import Cluster
#endif

public struct BusMessageDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = BusInbound

    public let maximumMessageLength: Int

    public init(maximumMessageLength: Int = BusFrameReader.defaultMaximumMessageLength) {
        self.maximumMessageLength = maximumMessageLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let inbound = try Self.next(from: &buffer, maximumMessageLength: maximumMessageLength) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(inbound))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        if state == .needMoreData && seenEOF {
            // A message cut by the peer closing: nothing to deliver, and not worth an error.
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
        return state
    }

    /// The framing and decoding step on its own (testable without a channel): consumes one whole
    /// message from `buffer` if it is all there, otherwise consumes nothing and returns nil.
    public static func next(from buffer: inout ByteBuffer, maximumMessageLength: Int = BusFrameReader.defaultMaximumMessageLength) throws(BusFrameError) -> BusInbound? {
        let framed: Result<Int?, BusFrameError> = buffer.withUnsafeReadableBytes { raw in
            do throws(BusFrameError) {
                return .success(try BusFrameReader.frameLength(raw, maximumMessageLength: maximumMessageLength))
            } catch {
                return .failure(error)
            }
        }
        guard let length = try framed.get(), buffer.readableBytes >= length else { return nil }
        let inbound = buffer.withUnsafeReadableBytes { raw in
            BusInbound(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
        buffer.moveReaderIndex(forwardBy: length)
        return inbound
    }
}

public struct BusMessageEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = ClusterMessage

    public init() {}

    public func encode(data: ClusterMessage, out: inout ByteBuffer) throws {
        BusCodec.encode(data, into: &out)
    }
}

extension BusCodec {
    /// Appends the message to `buffer`.
    public static func encode(_ message: ClusterMessage, into buffer: inout ByteBuffer) {
        let length = encodedLength(of: message)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            write(message, length: length, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<length]))
            return length
        }
    }

    /// Decodes the readable bytes of `buffer`, which must be exactly one whole message.
    public static func decode(_ buffer: ByteBuffer) throws(BusDecodeError) -> ClusterMessage {
        let result: Result<ClusterMessage, BusDecodeError> = buffer.withUnsafeReadableBytes { raw in
            do throws(BusDecodeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
