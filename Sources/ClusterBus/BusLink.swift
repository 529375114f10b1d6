import Cluster
import NIOCore

/// The last handler of a bus channel: hands decoded messages to the service, logs and drops the
/// ones the codec rejected, reports the end of the channel.
final class BusLink: ChannelInboundHandler {
    typealias InboundIn = BusInbound

    private let service: ClusterService
    /// Known from the start for outbound links; assigned on activation for inbound ones.
    private var link: LinkID?
    private var peer = ""

    private init(service: ClusterService, link: LinkID?) {
        self.service = service
        self.link = link
    }

    /// Adds the codec and this handler to a new bus channel (`link` nil: accepted connection).
    static func install(on channel: Channel, service: ClusterService, link: LinkID?) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(ByteToMessageHandler(BusMessageDecoder()))
        try sync.addHandler(MessageToByteHandler(BusMessageEncoder()))
        try sync.addHandler(BusLink(service: service, link: link))
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        if link == nil { link = service.accepted(context.channel) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let link else { return }
        switch unwrapInboundIn(data) {
        case .message(let message):
            service.received(message, on: link)
        case .malformed(let reason):
            service.rejected(reason, on: link, from: peer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let link { service.closed(link) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A framing error (bad signature, absurd length) or a reset: the stream cannot be trusted
        // any more, so the link goes, exactly as Redis frees a link on a bad header.
        if let link, !(error is ChannelError) {
            service.rejected("\(error)", on: link, from: peer)
        }
        context.close(promise: nil)
    }
}
