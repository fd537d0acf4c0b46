import Logging
import NIOCore
import ParleyCore
import ParleyXML

/// Routes stanzas between local sessions, the hosts' own services, and domain handlers (MUC, components).
///
/// Synchronous and immutable after construction: the stanza path takes no task and no await. The rules
/// are RFC 6121 §8.5 (local user, bare or full JID), without offline storage and without s2s.
public final class StanzaRouter: Sendable {
    public let registry: SessionRegistry
    let hosts: [String: HostService]
    let domains: [String: any DomainHandler]
    let logger: Logger
    /// The control API's hooks (faults, routed-stanza events); nil unless the control API is on.
    let tap: ControlTap?
    /// `parley serve --seed`: identifiers drawn from the seed instead of at random; nil otherwise.
    let identifiers: SeededIdentifiers?

    init(
        registry: SessionRegistry,
        hosts: [String: HostService],
        domains: [String: any DomainHandler],
        logger: Logger,
        tap: ControlTap? = nil,
        identifiers: SeededIdentifiers? = nil
    ) {
        self.registry = registry
        self.hosts = hosts
        self.domains = domains
        self.logger = logger
        self.tap = tap
        self.identifiers = identifiers
    }

    /// Whether `domain` is served here (a c2s host or a domain handler).
    public func isLocal(_ domain: String) -> Bool { self.hosts[domain] != nil || self.domains[domain] != nil }

    /// Routes a stanza. `from` is the local session that sent it (nil for server-made stanzas).
    public func route(_ stanza: Stanza, from session: SessionHandle? = nil) {
        if let tap = self.tap, tap.isArmed, tap.inspect(stanza, from: session, router: self) { return }
        self.routeUntapped(stanza, from: session)
    }

    /// `route` without the control API's faults: a stanza a fault delayed comes back here.
    func routeUntapped(_ stanza: Stanza, from session: SessionHandle?) {
        guard let to = stanza.to else {
            // RFC 6120 §10.3: no `to` means the sender's own account.
            guard let sender = stanza.from else { return }
            var addressed = stanza
            addressed.to = sender.bare
            self.routeToHost(addressed, host: self.hosts[sender.domainpart], from: session)
            return
        }
        if let host = self.hosts[to.domainpart] {
            self.routeToHost(stanza, host: host, from: session)
        } else if let handler = self.domains[to.domainpart] {
            handler.handle(stanza, from: session, router: self)
        } else {
            self.bounce(
                stanza,
                StanzaError(.serviceUnavailable, text: "Communication with remote domains is not enabled")
            )
        }
    }

    /// Routes what one room or service produced at once. Stanzas to bound local full JIDs (a broadcast)
    /// are looked up together and reach sessions on other event loops with one hop per loop, in order;
    /// everything else takes `route`. Each recipient still gets its stanzas in the order given (RFC 6120 §10.1).
    ///
    /// `known`: the recipients' sessions where the caller holds them (a room, `MUCRoom.recipients`), one per
    /// stanza; only the others are looked up in the registry.
    public func routeBatch(_ stanzas: [Stanza], known: [SessionHandle?] = []) {
        guard stanzas.count > 1, self.tap?.isArmed != true else {
            // One stanza, or the control API wants to see each: the ordinary route.
            for stanza in stanzas { self.route(stanza) }
            return
        }
        let targets: [SessionHandle?]
        if known.count == stanzas.count, !known.contains(where: { $0 == nil }) {
            targets = known
        } else {
            let looked = self.registry.sessions(
                stanzas.enumerated().map { index, stanza -> JID? in
                    if index < known.count, known[index] != nil { return nil }
                    guard let to = stanza.to, to.localpart != nil, self.hosts[to.domainpart] != nil else { return nil }
                    return to
                }
            )
            targets = known.count == stanzas.count ? zip(known, looked).map { $0 ?? $1 } : looked
        }
        var hops: [ObjectIdentifier: (loop: any EventLoop, deliveries: [(any StanzaSink, Stanza)])] = [:]
        for (stanza, target) in zip(stanzas, targets) {
            guard let target else {
                self.route(stanza)
                continue
            }
            let sink = target.currentSink
            if sink.eventLoop.inEventLoop {
                sink.deliverInEventLoop(stanza)
            } else {
                hops[ObjectIdentifier(sink.eventLoop), default: (sink.eventLoop, [])].deliveries.append((sink, stanza))
            }
        }
        for hop in hops.values {
            let deliveries = hop.deliveries
            hop.loop.execute {
                for (sink, stanza) in deliveries { sink.deliverInEventLoop(stanza) }
            }
        }
    }

    /// Sends an error reply for `stanza`, unless it is itself an error (RFC 6120 §8.3.1).
    public func bounce(_ stanza: Stanza, _ error: StanzaError) {
        guard !stanza.isError, stanza.from != nil else { return }
        self.route(stanza.errorReply(error))
    }

    /// Delivers directly to a bound session, bypassing every rule (used by services answering a session).
    public func deliver(_ stanza: Stanza, to session: SessionHandle) { session.deliver(stanza) }

    private func routeToHost(_ stanza: Stanza, host: HostService?, from session: SessionHandle?) {
        guard let host, let to = stanza.to else {
            self.bounce(stanza, StanzaError(.serviceUnavailable))
            return
        }
        if to.localpart == nil {
            if to.resourcepart == nil {
                host.handle(stanza, router: self)
            } else {
                // A host's full JID: nothing lives there.
                if stanza.isIQRequest { self.bounce(stanza, StanzaError(.serviceUnavailable)) }
            }
            return
        }
        if to.resourcepart != nil {
            if let target = self.registry.session(to) {
                target.deliver(stanza)
                return
            }
            // RFC 6121 §8.5.3.2: no such resource.
            switch stanza.kind {
            case .message:
                self.deliverToBare(stanza, host: host)
            case .presence:
                return  // silently dropped
            case .iq:
                if stanza.isIQRequest { self.bounce(stanza, StanzaError(.serviceUnavailable)) }
            }
            return
        }
        self.deliverToBare(stanza, host: host)
    }

    /// RFC 6121 §8.5.2: a stanza to a local bare JID.
    private func deliverToBare(_ stanza: Stanza, host: HostService) {
        guard let to = stanza.to else { return }
        switch stanza.kind {
        case .iq:
            host.handleOnBehalfOfAccount(stanza, router: self)
        case .presence:
            // Subscription requests need a roster, which Parley does not keep: drop them (§3.1.3).
            guard stanza.type == nil || stanza.type == "unavailable" else { return }
            for session in self.registry.sessions(of: to) where session.isAvailable {
                session.deliver(stanza)
            }
        case .message:
            let available = self.registry.sessions(of: to).filter { $0.isAvailable && $0.priority >= 0 }
            let type = stanza.type ?? "normal"
            if type == "error" { return }
            if available.isEmpty {
                // No offline storage: normal and chat bounce, groupchat errors, headline vanishes (§8.5.2.2.1).
                if type != "headline" { self.bounce(stanza, StanzaError(.serviceUnavailable)) }
                return
            }
            if type == "groupchat" {
                self.bounce(stanza, StanzaError(.serviceUnavailable))
                return
            }
            let top = available.map(\.priority).max() ?? 0
            for session in available where type == "headline" || session.priority == top {
                session.deliver(stanza)
            }
        }
    }
}
