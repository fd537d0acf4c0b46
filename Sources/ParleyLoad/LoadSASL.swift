/// How clients authenticate (RFC 6120 §6).
public enum LoadSASL: String, CaseIterable, Sendable {
    /// SASL ANONYMOUS (RFC 4505): Jitsi's browsers. The server picks the username.
    case anonymous
    /// SASL PLAIN (RFC 4616) as `<prefix><n>` with one password: the accounts must exist.
    case plain
}
