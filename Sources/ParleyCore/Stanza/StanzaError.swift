import ParleyXML

/// A stanza error (RFC 6120 §8.3): `<error type='…'><condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
/// <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>…</text></error>`.
///
/// ```
/// <iq type='error' id='p1' from='meet.jitsi' to='user@meet.jitsi/res'>
///   <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
/// </iq>
/// ```
public struct StanzaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// RFC 6120 §8.3.2.
    public enum ErrorType: String, Sendable, Hashable {
        case auth, cancel, `continue`, modify, wait
    }

    /// RFC 6120 §8.3.3.
    public enum Condition: String, Sendable, Hashable {
        case badRequest = "bad-request"
        case conflict
        case featureNotImplemented = "feature-not-implemented"
        case forbidden
        case gone
        case internalServerError = "internal-server-error"
        case itemNotFound = "item-not-found"
        case jidMalformed = "jid-malformed"
        case notAcceptable = "not-acceptable"
        case notAllowed = "not-allowed"
        case notAuthorized = "not-authorized"
        case policyViolation = "policy-violation"
        case recipientUnavailable = "recipient-unavailable"
        case redirect
        case registrationRequired = "registration-required"
        case remoteServerNotFound = "remote-server-not-found"
        case remoteServerTimeout = "remote-server-timeout"
        case resourceConstraint = "resource-constraint"
        case serviceUnavailable = "service-unavailable"
        case subscriptionRequired = "subscription-required"
        case undefinedCondition = "undefined-condition"
        case unexpectedRequest = "unexpected-request"

        /// The type RFC 6120 §8.3.3 gives each condition in its examples.
        public var defaultType: ErrorType {
            switch self {
            case .badRequest, .jidMalformed, .notAcceptable, .policyViolation, .redirect: .modify
            case .forbidden, .notAuthorized, .registrationRequired, .subscriptionRequired: .auth
            case .internalServerError, .resourceConstraint, .recipientUnavailable, .remoteServerTimeout,
                .unexpectedRequest:
                .wait
            case .conflict, .featureNotImplemented, .gone, .itemNotFound, .notAllowed, .remoteServerNotFound,
                .serviceUnavailable, .undefinedCondition:
                .cancel
            }
        }
    }

    public var type: ErrorType
    public var condition: Condition
    public var text: String?
    /// Application-specific children (e.g. Jitsi's `<lobbyroom/>`), appended after the condition.
    public var extra: [XMLElement]

    public init(_ condition: Condition, type: ErrorType? = nil, text: String? = nil, extra: [XMLElement] = []) {
        self.condition = condition
        self.type = type ?? condition.defaultType
        self.text = text
        self.extra = extra
    }

    public var description: String { self.text.map { "\(self.condition.rawValue): \($0)" } ?? self.condition.rawValue }

    /// The `<error/>` element.
    public var element: XMLElement {
        var error = XMLElement(
            name: "error",
            namespace: Namespace.client,
            attributes: [
                XMLAttribute(name: "type", value: self.type.rawValue)
            ]
        )
        error.append(XMLElement(name: self.condition.rawValue, namespace: Namespace.stanzaErrors))
        if let text = self.text {
            var t = XMLElement(name: "text", namespace: Namespace.stanzaErrors)
            t.append(text: text)
            error.append(t)
        }
        for e in self.extra { error.append(e) }
        return error
    }

    /// Reads an `<error/>` element (for tests and clients).
    public init?(element: XMLElement) {
        guard element.name == "error",
            let type = element[attribute: "type"].flatMap(ErrorType.init(rawValue:)),
            let condition = element.elements.lazy.filter({ $0.namespace == Namespace.stanzaErrors && $0.name != "text" }
            )
            .compactMap({ Condition(rawValue: $0.name) }).first
        else { return nil }
        self.init(condition, type: type, text: element.child("text", namespace: Namespace.stanzaErrors)?.text)
    }
}
