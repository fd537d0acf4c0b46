import ParleyCore

/// Why `RoomNamePolicy` refuses a room name: the kind of identifier it looks like, or the option it fails.
///
/// The refusal goes back as a stanza error (RFC 6120 §8.3) whose text names the category, never the name:
///
/// ```
/// <iq type='error' id='x1' from='focus.meet.jitsi' to='3c7a@meet.jitsi/b2'>
///   <error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
///     <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>room name looks like an e-mail address</text></error>
/// </iq>
/// ```
///
/// Jitsi's GDPR guidance: room names must not be user identifiers (Docs/RoomNamePolicy.md).
public enum RoomNameCategory: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `alice@example.com`, or the `aliceexample.com` Jitsi's client leaves after stripping `@`.
    case emailAddress = "email"
    /// `+4917612345678`, `0176-1234-5678`, `alice4917612345678`.
    case phoneNumber = "phone"
    /// An address on one of this server's domains (`alice%40meet.jitsi`, `focusauth.meet.jitsi`) or a full JID.
    case xmppAddress = "jid"
    /// The username of an account on this server (`focus`, `jvb`, `alice`).
    case accountName = "account"
    /// One of the operator's `deny_patterns` matches.
    case denyPattern = "deny_pattern"
    /// Shorter than `minimum_length`.
    case tooShort = "too_short"
    /// `random_looking_only` is on and the name is not a UUID, a random token or a generated word chain.
    case notRandom = "not_random"

    /// The `<text/>` of the refusal. It names the category and never contains the room name.
    public var refusalText: String {
        switch self {
        case .emailAddress: "room name looks like an e-mail address"
        case .phoneNumber: "room name looks like a phone number"
        case .xmppAddress: "room name looks like an XMPP address"
        case .accountName: "room name is the name of an account on this server"
        case .denyPattern: "room name matches a pattern the operator refuses"
        case .tooShort: "room name is too short"
        case .notRandom: "room name does not look random"
        }
    }

    /// `cancel/not-allowed` with `refusalText`: the reply to a refused conference IQ, MUC create or join.
    public var stanzaError: StanzaError {
        StanzaError(.notAllowed, type: .cancel, text: self.refusalText)
    }

    public var description: String { self.rawValue }
}
