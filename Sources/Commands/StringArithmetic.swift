#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Keyspace
import RESP

/// INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT (with Redis's long double text).
extension StringCommands {
    static func incrby(_ ctx: inout CommandContext, negate: Bool) {
        guard let by = ctx.args[2].parseInt64() else {
            ctx.reply.error(CommandError.notInteger)
            return
        }
        if negate && by == Int64.min {
            ctx.reply.error(KeyErrors.decrementOverflow)
            return
        }
        incrementBy(&ctx, negate ? -by : by)
    }

    static func incrementBy(_ ctx: inout CommandContext, _ increment: Int64) {
        let key = ctx.key(1)
        let entry = ctx.lookupWrite(key)
        var old: Int64 = 0
        if let e = entry {
            guard e.isString else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            if e.isIntegerEncoded {
                old = e.integerValue
            } else {
                let bytes = e.valueBytes
                guard let v = parseCanonicalInt64(bytes.baseAddress, count: bytes.count) else {
                    ctx.reply.error(CommandError.notInteger)
                    return
                }
                old = v
            }
        }
        let (value, overflow) = old.addingReportingOverflow(increment)
        if overflow {
            ctx.reply.error(KeyErrors.overflow)
            return
        }
        if let e = entry, e.isIntegerEncoded {
            e.setIntegerValue(value)
            ctx.keyspace.addDirty(1, slot: key.slot)
        } else {
            ctx.keyspace.setInteger(db: ctx.db, key: key, value: value, keepTTL: true, now: ctx.now)
        }
        ctx.reply.integer(Int(value))
    }

    static func incrbyfloat(_ ctx: inout CommandContext) {
        let key = ctx.key(1)
        let entry = ctx.lookupWrite(key)
        var value: LongDouble = 0
        if let e = entry {
            guard e.isString else {
                ctx.reply.error(CommandError.wrongType)
                return
            }
            if e.isIntegerEncoded {
                value = LongDouble(e.integerValue)
            } else {
                guard let v = parseLongDouble(e.valueBytes) else {
                    ctx.reply.error(CommandError.notFloat)
                    return
                }
                value = v
            }
        }
        guard let increment = parseLongDouble(ctx.args[2]) else {
            ctx.reply.error(CommandError.notFloat)
            return
        }
        value += increment
        if value.isNaN || value.isInfinite {
            ctx.reply.error(KeyErrors.nanOrInfinity)
            return
        }
        let text = formatLongDouble(value)
        text.withUnsafeBytes { bytes in
            ctx.keyspace.setString(db: ctx.db, key: key, value: bytes, encoding: .noInteger, keepTTL: true, now: ctx.now)
            ctx.reply.bulk(bytes)
        }
    }
}

// MARK: - long double, as INCRBYFLOAT uses it

#if arch(x86_64) || arch(i386)
typealias LongDouble = Float80
#else
typealias LongDouble = Double
#endif

/// Redis's `string2ld`: `strtold` over the whole argument; no leading space, no trailing bytes,
/// no NaN, overflow (and underflow to zero) rejected.
func parseLongDouble(_ bytes: UnsafeRawBufferPointer) -> LongDouble? {
    let n = bytes.count
    if n == 0 || n >= 5 * 1024 { return nil }
    var buffer = [CChar](repeating: 0, count: n + 1)
    buffer.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
    let c0 = buffer[0]
    if c0 == 0x20 || (c0 >= 0x09 && c0 <= 0x0D) { return nil }
    return buffer.withUnsafeMutableBufferPointer { buf -> LongDouble? in
        var end: UnsafeMutablePointer<CChar>? = nil
        errno = 0
        #if arch(x86_64) || arch(i386)
        let value = strtold(buf.baseAddress!, &end)
        #else
        let value = strtod(buf.baseAddress!, &end)
        #endif
        guard let end, end.pointee == 0 else { return nil }
        if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
        if errno == EINVAL || value.isNaN { return nil }
        return value
    }
}

/// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, trailing zeros (and a bare point) removed,
/// `-0` written as `0`.
func formatLongDouble(_ value: LongDouble) -> [UInt8] {
    if value.isInfinite { return Array((value > 0 ? "inf" : "-inf").utf8) }
    var buffer = [CChar](repeating: 0, count: 5 * 1024 + 64)
    let count = buffer.count
    let written = buffer.withUnsafeMutableBufferPointer { buf -> Int in
        #if arch(x86_64) || arch(i386)
        withVaList([value]) { Int(vsnprintf(buf.baseAddress!, count, "%.17Lf", $0)) }
        #else
        withVaList([value]) { Int(vsnprintf(buf.baseAddress!, count, "%.17f", $0)) }
        #endif
    }
    var bytes = buffer[0..<min(written, count - 1)].map { UInt8(bitPattern: $0) }
    if bytes.contains(UInt8(ascii: ".")) {
        while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
    }
    if bytes == Array("-0".utf8) { bytes = [UInt8(ascii: "0")] }
    return bytes
}
