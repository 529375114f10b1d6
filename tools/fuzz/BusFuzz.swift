// libFuzzer target for the cluster bus codec and framer. Built by tools/fuzz/run-bus together with
// Sources/Cluster/ClusterMessage.swift and the NIO-free Sources/ClusterBus/BusCodec*.swift and
// BusFrameReader.swift (one module, no NIO).
//
// Input layout: byte 0 = options, bytes 1-2 = split point (little endian, modulo the payload
// length), the rest = the payload.
//   options bit 0: set the payload's totlen (bytes 4-7) to its length first, so mutations of a
//                  valid message get past the length check to the type's own rules
//   options bit 1: also deliver the payload to the framer one byte at a time
//   options bit 2: the framer's length limit is 4096 instead of 64 MiB
//
// Invariants checked:
//   - decode of the payload (in an allocation of exactly its size, so AddressSanitizer catches any
//     read outside it) either throws a BusDecodeError with a reason, or returns m with:
//     encode(m) of encodedLength(m) bytes, decode(encode(m)) == m, encode(decode(encode(m))) ==
//     encode(m);
//   - the framer gives the same messages, malformed reasons, error and leftover whether the
//     payload arrives whole, in two pieces split anywhere, or byte by byte; and decoding each frame
//     in place gives the same as decoding an exact-size copy of it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("BusFuzz invariant violated: \(message())\n", stderr)
        abort()
    }
}

/// Decodes `bytes` from a fresh allocation of exactly their size.
private func decodeExact(_ bytes: [UInt8]) -> Result<ClusterMessage, BusDecodeError> {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { copy.deallocate() }
    copy.copyBytes(from: bytes)
    do throws(BusDecodeError) {
        return .success(try BusCodec.decode(UnsafeRawBufferPointer(copy)))
    } catch {
        return .failure(error)
    }
}

private func checkRoundTrip(_ payload: [UInt8]) {
    switch decodeExact(payload) {
    case .failure(let error):
        check(!error.reason.isEmpty, "empty reason")
    case .success(let message):
        let encoded = BusCodec.encode(message)
        check(encoded.count == BusCodec.encodedLength(of: message), "encodedLength \(BusCodec.encodedLength(of: message)) != \(encoded.count)")
        switch decodeExact(encoded) {
        case .failure(let error):
            check(false, "re-encoded message rejected: \(error.reason)")
        case .success(let again):
            check(again == message, "decode(encode(m)) != m: \(message) vs \(again)")
            check(BusCodec.encode(again) == encoded, "encode is not stable")
        }
    }
}

private struct Run: Equatable {
    var inbound: [BusInbound] = []
    var error: BusFrameError?
    var leftover = 0
}

private func deliver(_ payload: [UInt8], in chunks: [Range<Int>], limit: Int, copies: Bool) -> Run {
    var reader = BusFrameReader(maximumMessageLength: limit)
    var run = Run()
    for chunk in chunks {
        // After a framing error the bytes still arrive (and stay buffered): only reading stops.
        payload.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[chunk])) }
        guard run.error == nil else { continue }
        do throws(BusFrameError) {
            if copies {
                while let frame = try reader.nextFrame() {
                    check(frame.count >= 2256 && frame.count <= limit, "frame of \(frame.count) bytes")
                    switch decodeExact(frame) {
                    case .success(let message): run.inbound.append(.message(message))
                    case .failure(let error): run.inbound.append(.malformed(error.reason))
                    }
                }
            } else {
                while let inbound = try reader.next() { run.inbound.append(inbound) }
            }
        } catch {
            run.error = error
        }
    }
    run.leftover = reader.bufferedByteCount
    return run
}

@_cdecl("LLVMFuzzerTestOneInput")
public func busFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 3 else { return 0 }
    let options = data[0]
    var payload = Array(UnsafeBufferPointer(start: data + 3, count: size - 3))
    if options & 1 != 0 && payload.count >= 8 {
        let length = UInt32(payload.count)
        for i in 0..<4 { payload[4 + i] = UInt8((length >> (24 - 8 * UInt32(i))) & 0xFF) }
    }
    let split = (Int(data[1]) | Int(data[2]) << 8) % (payload.count + 1)
    let limit = options & 4 != 0 ? 4096 : BusFrameReader.defaultMaximumMessageLength

    checkRoundTrip(payload)

    let whole = deliver(payload, in: [0..<payload.count], limit: limit, copies: false)
    let copied = deliver(payload, in: [0..<payload.count], limit: limit, copies: true)
    check(whole == copied, "in-place and copied frames differ")
    let halves = deliver(payload, in: [0..<split, split..<payload.count], limit: limit, copies: false)
    check(whole == halves, "split at \(split) differs")
    if options & 2 != 0 {
        let bytes = deliver(payload, in: (0..<payload.count).map { $0..<($0 + 1) }, limit: limit, copies: false)
        check(whole == bytes, "byte by byte differs")
    }
    return 0
}
