import ParleyCore
import ParleyTransports
import ParleyXML

/// What the c2s state machine asks its transport to do, in order.
enum C2SAction: Sendable {
    /// Write the server's stream header (RFC 6120 §4.7) for `host`, with this stream id.
    case sendStreamHeader(id: String, host: String)
    /// Write a stream-level element (features, SASL, TLS) or a stanza addressed to this client.
    case send(XMLElement)
    /// Write a stream-level element encoded once for many streams (stream features, `C2SStateMachine`).
    case sendPrepared(PreparedStreamElement)
    /// `<proceed/>` was queued: flush it in plaintext, insert TLS in front, restart the stream (RFC 6120 §5.4.3.3).
    /// The machine is already on the TLS stream; a session that cannot start TLS closes the connection.
    case startTLS
    /// Look up the stored credentials SASL needs (RFC 6120 §6) in `host`'s accounts, and answer with
    /// `C2SStateMachine.credentialsLookedUp`.
    case lookUpCredentials(CredentialRequest, host: HostConfiguration)
    /// Check the web session's token (nil: the URL had none) with `host`'s verifier, and answer with
    /// `C2SStateMachine.tokenVerified` (Jitsi's `mod_auth_token`). Never log the token.
    case verifyToken(String?, host: HostConfiguration)
    /// Forget the parser state: the next bytes begin a new stream (after SASL success, RFC 6120 §6.4.6).
    case restartStream
    /// SASL succeeded for this bare JID.
    case authenticated(JID)
    /// Register the session under this full JID (RFC 6120 §7); an older session with the same JID is replaced
    /// (§7.7.2.2). The bind result follows as a `.send`.
    case bind(JID)
    /// A stanza from the bound client, `from` stamped, to route.
    case route(Stanza)
    /// Presence without `to` (RFC 6121 §4.2, §4.5): the session's own availability.
    case broadcastPresence(Stanza)
    /// A stream management element (XEP-0198: `<enable/>`, `<r/>`, `<a/>`) on a bound stream.
    case streamManagement(XMLElement)
    /// `<resume previd h/>` (XEP-0198 §5) instead of binding: the session looks up the hibernated session of
    /// `user` and answers with `C2SStateMachine.resumed` or `resumeFailed`.
    case resume(previd: String, h: UInt32, user: JID)
    /// Close the stream, with a stream error when given (RFC 6120 §4.4, §4.9).
    case close(StreamError?)
}
