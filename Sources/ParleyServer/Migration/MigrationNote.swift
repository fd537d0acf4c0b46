/// One line of what `parley import prosody` did with a Prosody module, option or account.
///
/// ```
/// /etc/prosody/prosody.cfg.lua:48: ignored: gc: Lua's garbage collector settings; Parley has none
/// /etc/prosody/conf.d/meet.cfg.lua:71: not supported: muc_rate_limit (module on conference.meet.example.org)
/// ```
public struct MigrationNote: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Carried into the YAML (listed only where the mapping needs saying).
        case mapped
        /// Deliberately left out, with the reason: it has no meaning for Parley (gc, posix, pidfile…).
        case ignored
        /// Parley has no equivalent: the deployment may behave differently.
        case unsupported = "not supported"
        /// An account imported, or skipped with the reason.
        case account
    }

    public var kind: Kind
    public var location: ProsodyConfiguration.Location?
    /// The module, option or account.
    public var subject: String
    public var text: String

    public init(_ kind: Kind, _ subject: String, _ text: String, at location: ProsodyConfiguration.Location? = nil) {
        self.kind = kind
        self.location = location
        self.subject = subject
        self.text = text
    }

    public var description: String {
        let place = self.location.map { "\($0): " } ?? ""
        return "\(place)\(self.kind.rawValue): \(self.subject): \(self.text)"
    }
}
