/// How the running server serves its control API (`XMPPServer.Configuration.control`; nil: not at all).
public struct ControlSettings: Sendable {
    /// The loopback port; 0 binds a free one (`parley serve --ephemeral`).
    public var port: Int
    /// The bearer token every request must carry; nil accepts any loopback client (`--ephemeral` only).
    public var token: String?
    /// The accounts the API adds, removes and resets; nil leaves accounts alone.
    public var accounts: ControlAccounts?

    public init(port: Int, token: String?, accounts: ControlAccounts? = nil) {
        self.port = port
        self.token = token
        self.accounts = accounts
    }
}
