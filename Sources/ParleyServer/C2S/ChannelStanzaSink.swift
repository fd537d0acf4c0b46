import NIOCore
import ParleyCore

/// Delivers into a channel: `writeAndFlush` is thread-safe and hops to the channel's event loop,
/// where the `C2SHandler` encodes the stanza for its transport.
final class ChannelStanzaSink: StanzaSink {
    let channel: any Channel

    init(channel: any Channel) { self.channel = channel }

    func deliver(_ stanza: Stanza) {
        self.channel.writeAndFlush(C2SOutbound.stanza(stanza), promise: nil)
    }

    func close(_ error: StreamError?) {
        self.channel.writeAndFlush(C2SOutbound.close(error), promise: nil)
    }
}
