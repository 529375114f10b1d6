import Commands
import Keyspace
import NIOCore
import RESP

/// One client connection: reads bytes, parses every complete command in them, runs each through
/// the dispatcher and writes all their replies with one flush (DESIGN.md "Batch the I/O").
///
/// Everything here runs on the connection's event loop; the only state other threads read is the
/// `ClientInfo` snapshot fields (for CLIENT LIST / KILL), which are plain words updated in place.
final class Connection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: ShoalServer
    let loop: LoopState
    let info: ClientInfo
    private let parser: RESPRequestParser
    /// The server outlives every connection; an unowned(unsafe) reference costs no reference
    /// counting on the per-command path.
    private unowned(unsafe) let dispatcher: Dispatcher
    /// This loop's cluster routing (read by every keyed command in cluster mode).
    unowned(unsafe) let routing: LoopRouting
    /// `routing.hot`: read by the per-command cluster check without reference counting.
    let hotRouting: UnsafeMutablePointer<LoopRouting.Hot>
    /// Bytes received but not yet parsed into a complete command.
    private var pending: ByteBuffer?
    private var context: CommandContext
    private var channelContext: ChannelHandlerContext?
    /// Set by QUIT, protocol errors and CLIENT KILL of oneself: close once the replies are out.
    var closeAfterReply = false
    /// The blocking command this client waits in (BLPOP ...): no further input is processed
    /// until it is answered, as in Redis.
    private(set) var parkedIn: BlockedClients.Waiter?
    /// READONLY: a replica serves this client's reads of its master's slots.
    var clusterReadOnly = false
    /// ASKING: the next command may use a slot this node is importing (one command only).
    var asking = false
    var authenticated: Bool {
        didSet { parser.unauthenticated = !authenticated }
    }

    init(server: ShoalServer, loop: LoopState, info: ClientInfo) {
        self.server = server
        self.loop = loop
        self.info = info
        var limits = RESPRequestParser.Limits()
        limits.maxBulkLength = server.settings.protoMaxBulkLen
        self.parser = RESPRequestParser(limits: limits)
        self.dispatcher = server.dispatcher
        self.routing = loop.routing
        self.hotRouting = loop.routing.hot
        self.authenticated = !server.settings.requiresAuth
        self.parser.unauthenticated = !authenticated
        var commandLimits = CommandLimits()
        commandLimits.maxBulkLength = server.settings.protoMaxBulkLen
        commandLimits.clusterEnabled = server.configuration.clusterEnabled
        let emptyArgs = ArgumentList(base: UnsafePointer(bitPattern: 8)!, count: 0)
        self.context = CommandContext(
            args: emptyArgs,
            reply: RESPWriter(buffer: ByteBuffer(), protocolVersion: 2),
            keyspace: server.keyspace, db: 0, now: 0, stats: loop.stats, limits: commandLimits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.channelContext = context
        self.context.reply.buffer = context.channel.allocator.buffer(capacity: 16 * 1024)
        self.context.session = self
        self.context.blockedClients = server.dispatcher.blocked.count
        self.context.encodings = server.encodingLimits
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.channelContext = nil
        self.context.session = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let waiter = parkedIn {
            waiter.timeoutTask?.cancel()
            _ = dispatcher.blocked.cancel(waiter)
            parkedIn = nil
        }
        server.clients.remove(info)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        let received = incoming.readableBytes
        loop.netInputBytes &+= received
        info.lastInteraction = monotonicMillis()
        if closeAfterReply { return }  // QUIT or a protocol error already: ignore what follows

        self.context.now = wallClockMillis()
        if var buffered = pending {
            pending = nil
            buffered.writeBuffer(&incoming)
            process(&buffered)
            if buffered.readableBytes > 0 { pending = buffered }
        } else {
            process(&incoming)
            if incoming.readableBytes > 0 { pending = incoming }
        }
        if let waiting = pending?.readableBytes {
            info.queryBufferLength = waiting
            if waiting > server.settings.clientQueryBufferLimit {
                server.log.warning("Closing client that reached max query buffer length: \(info.describe(now: monotonicMillis())) (qbuf initial bytes: \(waiting))")
                pending = nil
                closeAfterReply = true
                context.close(promise: nil)
            }
        } else {
            info.queryBufferLength = 0
        }
    }

    /// Parses and runs every complete command in `buffer`, consuming what it used.
    @inline(__always)
    private func process(_ buffer: inout ByteBuffer) {
        let consumed = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            let total = bytes.count
            let parser = self.parser
            let dispatcher = self.dispatcher
            var offset = 0
            while offset < total && !closeAfterReply && parkedIn == nil {
                switch parser.parse(UnsafeRawBufferPointer(start: base + offset, count: total - offset)) {
                case .command(let used):
                    offset += used
                    let args = parser.arguments
                    if args.count > 0 {
                        context.args = args
                        dispatcher.execute(&context, connection: self)
                    }
                case .incomplete:
                    return offset
                case .protocolError(let message):
                    context.reply.error(message)
                    server.log.debug("Protocol error (\(message)) from client: \(info.describe(now: monotonicMillis()))")
                    closeAfterReply = true
                    return total  // drop the rest, as Redis does
                }
            }
            return offset
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        info.db = context.db
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
    }

    /// Writes what the commands of this read produced, with one flush.
    private func flush(context: ChannelHandlerContext) {
        // The log before the replies: an acknowledged write is in the AOF (and synced, with
        // appendfsync always).
        if let aof = loop.aof { aof.flush() }
        let out = self.context.reply.buffer.readableBytes
        if out > 0 {
            loop.netOutputBytes &+= out
            let buffer = self.context.reply.buffer
            // Our copy becomes unique again once NIO has written it, so clearing it below reuses the
            // same storage instead of allocating a new output buffer for every batch.
            self.context.reply.buffer.clear()
            if closeAfterReply {
                context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
                return
            }
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else if closeAfterReply {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Resets and broken pipes from vanished clients end the connection quietly.
        context.close(promise: nil)
    }

    // MARK: - Blocking commands

    /// Parks this client (on its own loop, inside the blocking command's dispatch).
    func block(on waiter: BlockedClients.Waiter, timeout: Double) {
        parkedIn = waiter
        info.blocked = true
        guard timeout > 0 else { return }
        let micros = Int64(min(timeout, 1e9) * 1_000_000)
        waiter.timeoutTask = loop.eventLoop.scheduleTask(in: .microseconds(micros)) { [self] in
            guard parkedIn === waiter, dispatcher.blocked.cancel(waiter) else { return }
            var reply = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 8), protocolVersion: protocolVersion)
            reply.nullArray()
            unpark(reply: reply.buffer)
        }
    }

    /// Answers the parked command with `reply` (from any thread) and goes on with queued input.
    func resume(with reply: ByteBuffer) {
        loop.eventLoop.execute { [self] in unpark(reply: reply) }
    }

    private func unpark(reply: ByteBuffer) {
        guard parkedIn != nil, let channelContext else { return }
        parkedIn = nil
        info.blocked = false
        var reply = reply
        context.reply.buffer.writeBuffer(&reply)
        context.now = wallClockMillis()
        if var buffered = pending {
            pending = nil
            process(&buffered)
            if buffered.readableBytes > 0 { pending = buffered }
        }
        flush(context: channelContext)
    }

    // MARK: - Used by server commands

    var protocolVersion: Int {
        get { context.reply.protocolVersion }
        set { context.reply.protocolVersion = newValue }
    }

    var selectedDB: Int { context.db }

    /// Closes the connection from any thread (CLIENT KILL).
    func kill() {
        loop.eventLoop.execute { [self] in
            if let channelContext {
                if channelContext.eventLoop.inEventLoop { closeAfterReply = true }
                channelContext.close(promise: nil)
            }
        }
    }

    /// Idle timeout check, run on this connection's loop.
    func closeIfIdle(now: Int64, timeoutMillis: Int64) {
        guard timeoutMillis > 0, now - info.lastInteraction > timeoutMillis else { return }
        server.log.debug("Closing idle client")
        channelContext?.close(promise: nil)
    }
}

/// Greets a client the server will not serve (maxclients, protected mode) with Redis's error,
/// then closes.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let message: String

    init(message: String) { self.message = message }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: message.utf8.count + 3)
        buffer.writeString("-\(message)\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
