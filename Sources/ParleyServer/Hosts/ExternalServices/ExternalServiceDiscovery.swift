import Foundation
import ParleyCore
import ParleyXML

/// XEP-0215 External Service Discovery as the hosts serve it: the STUN and TURN servers with credentials, for
/// lib-jitsi-meet (`strophe.jingle.js` asks `<services xmlns='urn:xmpp:extdisco:2'/>` of its host after login,
/// then `urn:xmpp:extdisco:1` if that fails) and Jicofo. It mirrors Prosody's `mod_external_services`, the module
/// docker-jitsi-meet enables when `TURN_HOST` or `TURNS_HOST` is set:
///
/// - `<services/>` (§3.1, §3.2): every service, or those of the `type` asked for, each with its credentials;
/// - `<credentials/>` (§3.3): the credentials of the restricted services named by `type`, `host` and optionally
///   `port`;
/// - both in `urn:xmpp:extdisco:2` and in the older `urn:xmpp:extdisco:1`; the answer uses the request's.
///
/// A pure value: the request, who sent it and the time in, the answer out; `HostService` routes it.
public struct ExternalServiceDiscovery: Sendable {
    /// The namespaces served and advertised (disco#info features of every host).
    public static let namespaces = [Namespace.externalServiceDiscovery, Namespace.externalServiceDiscoveryLegacy]

    /// The answer to one request.
    public enum Answer: Sendable, Equatable {
        /// The payload of the IQ result.
        case result(XMLElement)
        case error(StanzaError)
    }

    /// The services, in configuration order (clients try them in that order).
    public let services: [ExternalService]
    /// The key `TURNRESTCredential`s are made with; nil leaves no time-limited service in `services`.
    private let secret: [UInt8]?
    /// Seconds a time-limited credential lasts unless its service says otherwise (Prosody's
    /// `external_service_ttl`, one day).
    public let defaultTTL: Int
    /// Bare JIDs and domains that may ask (Prosody's `external_service_access`); empty: every session of the
    /// server's hosts.
    public let access: [JID]

    /// Services with time-limited credentials need `secret`; without one they are left out (the caller warns).
    public init(services: [ExternalService], secret: String?, defaultTTL: Int = 86_400, access: [JID] = []) {
        let key = secret.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.secret = key
        self.services = services.filter { service in
            guard case .timeLimited = service.credentials else { return true }
            return key != nil
        }
        self.defaultTTL = defaultTTL
        self.access = access
    }

    /// Answers `request`, the payload of an IQ of `type` in one of `namespaces`, sent by `requester`.
    /// `isLocalSession`: the requester is a bound session of one of this server's hosts. `now`: Unix seconds.
    public func answer(_ request: XMLElement, type: String?, requester: JID?, isLocalSession: Bool, now: Int) -> Answer
    {
        guard request.name == "services" || request.name == "credentials" else {
            return .error(
                StanzaError(
                    .featureNotImplemented,
                    text: "External service discovery (XEP-0215) answers <services/> and <credentials/> only"
                )
            )
        }
        guard type == "get" else {
            // A set is the server's push to a client (§3.2); nothing is set on the server. Prosody leaves it
            // unhandled, which answers service-unavailable.
            return .error(
                StanzaError(.serviceUnavailable, text: "External services are requested with an IQ of type get")
            )
        }
        guard let requester, isLocalSession, self.admits(requester) else {
            // §2: forbidden when the requester may not see the list (Prosody: auth/forbidden).
            return .error(StanzaError(.forbidden, text: "External services are for this server's signed-in sessions"))
        }
        if request.name == "services" {
            return .result(self.servicesAnswer(request, now: now))
        }
        return self.credentialsAnswer(request, now: now)
    }

    /// Prosody's access rule: any session when `access` is empty, else its bare JID or its domain must be listed.
    func admits(_ requester: JID) -> Bool {
        guard !self.access.isEmpty else { return true }
        return self.access.contains { entry in
            entry.localpart == nil ? entry.domainpart == requester.domainpart : entry == requester.bare
        }
    }

    /// §3.1 / §3.2: every service, or those whose type is the request's `type`.
    private func servicesAnswer(_ request: XMLElement, now: Int) -> XMLElement {
        let wanted = request[attribute: "type"]
        return XMLElement(
            "services",
            ns: request.namespace,
            [("type", wanted)],
            children: self.services.filter { wanted == nil || $0.kind.rawValue == wanted }.map {
                self.element(for: $0, namespace: request.namespace, now: now)
            }
        )
    }

    /// §3.3: the restricted services each `<service type host [port]/>` names (a port of 0 or none matches any).
    private func credentialsAnswer(_ request: XMLElement, now: Int) -> Answer {
        let asked = request.elements.filter { $0.name == "service" && $0.namespace == request.namespace }
        var wanted: [(type: String, host: String, port: Int?)] = []
        for service in asked {
            guard let type = service[attribute: "type"], let host = service[attribute: "host"] else {
                return .error(StanzaError(.badRequest, text: "Each <service/> needs its 'type' and 'host'"))
            }
            let port = service[attribute: "port"].flatMap(Int.init)
            wanted.append((type, host, port == 0 ? nil : port))
        }
        guard !wanted.isEmpty else {
            return .error(StanzaError(.badRequest, text: "Name the service: <service type='…' host='…'/>"))
        }
        let matching = self.services.filter { service in
            service.isRestricted
                && wanted.contains {
                    $0.type == service.kind.rawValue && $0.host == service.host
                        && ($0.port ?? service.port) == service.port
                }
        }
        guard !matching.isEmpty else {
            // §3.3 lets the server choose the error; Prosody answers an empty list instead.
            return .error(StanzaError(.itemNotFound, text: "No credentials for that service"))
        }
        return .result(
            XMLElement(
                "credentials",
                ns: request.namespace,
                children: matching.map { self.element(for: $0, namespace: request.namespace, now: now) }
            )
        )
    }

    /// One `<service/>` with its credentials as of `now`: a time-limited one gets a fresh `TURNRESTCredential`
    /// and its `expires`; every one with credentials is `restricted`.
    func element(for service: ExternalService, namespace: String, now: Int) -> XMLElement {
        var username: String?
        var password: String?
        var expires: String?
        switch service.credentials {
        case .none:
            break
        case .fixed(let user, let secretWord):
            username = user
            password = secretWord
        case .timeLimited(let user):
            if let secret = self.secret {
                let credential = TURNRESTCredential(
                    secret: secret,
                    expiry: now + (service.ttl ?? self.defaultTTL),
                    user: user
                )
                username = credential.username
                password = credential.password
                expires = Self.dateTime(credential.expiry)
            }
        }
        return XMLElement(
            "service",
            ns: namespace,
            [
                ("type", service.kind.rawValue), ("host", service.host), ("port", String(service.port)),
                ("transport", service.transport?.rawValue), ("username", username), ("password", password),
                ("expires", expires), ("restricted", service.isRestricted ? "1" : nil),
            ]
        )
    }

    /// XEP-0082 DateTime in UTC without fractions (`2025-01-01T00:00:00Z`), as XEP-0215's `expires` wants it.
    static func dateTime(_ unixSeconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds)).formatted(.iso8601)
    }
}
