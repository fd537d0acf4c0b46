import ParleyCore
import ParleyXML

/// The services of one c2s host domain (for example `meet.jitsi`): disco (XEP-0030), ping (XEP-0199),
/// an empty roster (RFC 6121 §2; Smack asks for one), the legacy session IQ, and optionally
/// software version (XEP-0092, off by default for privacy), and STUN/TURN servers with their credentials
/// (XEP-0215, when configured: `HostService+ExternalServices`). Anything else: `service-unavailable`.
final class HostService: Sendable {
    let domain: String
    let advertiseVersion: Bool
    /// The server's own identities besides `server/im`: the shard, region and release (Jitsi's `mod_jiconop`).
    let serverIdentities: [DiscoIdentity]
    /// Identities of components under this host (Jitsi's clients and Jicofo discover them here).
    let componentIdentities: [DiscoIdentity]
    let componentDomains: [String]
    /// XEP-0215's services; nil when none are configured (nothing advertised, requests `service-unavailable`).
    let externalServices: ExternalServiceDiscovery?

    init(
        domain: String,
        advertiseVersion: Bool,
        serverIdentities: [DiscoIdentity] = [],
        componentIdentities: [DiscoIdentity] = [],
        componentDomains: [String] = [],
        externalServices: ExternalServiceDiscovery? = nil
    ) {
        self.domain = domain
        self.advertiseVersion = advertiseVersion
        self.serverIdentities = serverIdentities
        self.componentIdentities = componentIdentities
        self.componentDomains = componentDomains
        self.externalServices = externalServices
    }

    var features: [String] {
        var features = [Namespace.discoInfo, Namespace.discoItems, Namespace.ping, Namespace.roster]
        if self.advertiseVersion { features.append(Namespace.version) }
        if self.externalServices != nil { features += ExternalServiceDiscovery.namespaces }
        return features.sorted()
    }

    /// A stanza to the bare domain.
    func handle(_ stanza: Stanza, router: StanzaRouter) {
        guard stanza.kind == .iq else { return }  // messages and presence to the server itself are dropped
        guard stanza.isIQRequest, let payload = stanza.payload else { return }
        if let externalServices = self.externalServices, ExternalServiceDiscovery.namespaces.contains(payload.namespace)
        {
            return self.answerExternalServices(stanza, payload, externalServices, router: router)
        }
        switch (stanza.type, payload.namespace, payload.name) {
        case ("get", Namespace.ping, "ping"):
            router.route(stanza.resultReply())
        case ("get", Namespace.discoInfo, "query"):
            guard payload[attribute: "node"] == nil else {
                return router.bounce(stanza, StanzaError(.itemNotFound))
            }
            router.route(stanza.resultReply(self.discoInfo()))
        case ("get", Namespace.discoItems, "query"):
            guard payload[attribute: "node"] == nil else {
                return router.bounce(stanza, StanzaError(.itemNotFound))
            }
            var query = XMLElement(name: "query", namespace: Namespace.discoItems)
            for domain in self.componentDomains.sorted() {
                query.append(
                    XMLElement(
                        name: "item",
                        namespace: Namespace.discoItems,
                        attributes: [XMLAttribute(name: "jid", value: domain)]
                    )
                )
            }
            router.route(stanza.resultReply(query))
        case ("get", Namespace.version, "query") where self.advertiseVersion:
            var query = XMLElement(name: "query", namespace: Namespace.version)
            var name = XMLElement(name: "name", namespace: Namespace.version)
            name.append(text: "Parley")
            query.append(name)
            router.route(stanza.resultReply(query))
        case ("set", Namespace.session, "session"):
            router.route(stanza.resultReply())
        case (_, Namespace.roster, "query"):
            self.roster(stanza, router: router)
        default:
            router.bounce(stanza, StanzaError(.serviceUnavailable))
        }
    }

    /// An IQ to a local account's bare JID, answered by the server for the account (RFC 6121 §8.5.2.1.3… §8.5.1).
    func handleOnBehalfOfAccount(_ stanza: Stanza, router: StanzaRouter) {
        guard stanza.isIQRequest, let payload = stanza.payload, let to = stanza.to else { return }
        switch (stanza.type, payload.namespace, payload.name) {
        case ("get", Namespace.ping, "ping"):
            router.route(stanza.resultReply())
        case (_, Namespace.roster, "query"):
            self.roster(stanza, router: router)
        case ("set", Namespace.session, "session") where stanza.from?.bare == to.bare:
            // RFC 3921 §3: the legacy session IQ, sent without `to` by Strophe and older clients.
            router.route(stanza.resultReply())
        case ("get", Namespace.discoInfo, "query"):
            guard stanza.from?.bare == to.bare || !router.registry.sessions(of: to).isEmpty else {
                return router.bounce(stanza, StanzaError(.serviceUnavailable))
            }
            var query = XMLElement(name: "query", namespace: Namespace.discoInfo)
            query.append(
                XMLElement("identity", ns: Namespace.discoInfo, [("category", "account"), ("type", "registered")])
            )
            query.append(XMLElement("feature", ns: Namespace.discoInfo, [("var", Namespace.discoInfo)]))
            router.route(stanza.resultReply(query))
        default:
            router.bounce(stanza, StanzaError(.serviceUnavailable))
        }
    }

    /// Roster gets return an empty roster; pushes are refused (Parley keeps no roster).
    private func roster(_ stanza: Stanza, router: StanzaRouter) {
        guard let from = stanza.from, stanza.to == nil || stanza.to?.bare == from.bare || stanza.to == from.domain
        else {
            return router.bounce(stanza, StanzaError(.forbidden))
        }
        if stanza.type == "get" {
            router.route(stanza.resultReply(XMLElement(name: "query", namespace: Namespace.roster)))
        } else {
            router.bounce(stanza, StanzaError(.notAllowed, text: "This server keeps no rosters"))
        }
    }

    func discoInfo() -> XMLElement {
        var query = XMLElement(name: "query", namespace: Namespace.discoInfo)
        query.append(XMLElement("identity", ns: Namespace.discoInfo, [("category", "server"), ("type", "im")]))
        for identity in self.serverIdentities + self.componentIdentities {
            query.append(
                XMLElement(
                    "identity",
                    ns: Namespace.discoInfo,
                    [("category", identity.category), ("type", identity.type), ("name", identity.name)]
                )
            )
        }
        for feature in self.features {
            query.append(XMLElement("feature", ns: Namespace.discoInfo, [("var", feature)]))
        }
        return query
    }
}
