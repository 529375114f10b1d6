#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `malloc_usable_size` (glibc's `<malloc.h>` is not part of the Glibc module, so it is looked up
/// once at run time); falls back to 0 where it does not exist.
@usableFromInline
let mallocUsableSizeFunction: (@convention(c) (UnsafeMutableRawPointer?) -> Int)? = {
    #if canImport(Glibc)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_usable_size") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutableRawPointer?) -> Int).self)
    #else
    return nil
    #endif
}()

/// Usable bytes of a `malloc`ed block (at least what was asked for).
@inlinable
public func mallocUsableSize(_ p: UnsafeMutableRawPointer) -> Int {
    mallocUsableSizeFunction?(p) ?? 0
}

/// A monotonic clock in microseconds, used only to bound the work of one active-expiry cycle.
public func monotonicMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}
