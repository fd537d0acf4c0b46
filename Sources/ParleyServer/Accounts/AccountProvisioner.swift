import ParleyCore

/// Applies the configuration's declared `accounts` to an account store at start-up (docker-jitsi-meet style:
/// the passwords of Jicofo's and the bridge's accounts come from environment variables).
public enum AccountProvisioner {
    /// Creates each account whose password resolves, and resets the password of one whose stored credentials do
    /// not match it. An account whose credentials already verify is left alone, so a restart rewrites nothing.
    ///
    /// - Returns: one warning per account that could not be applied (no password, or a store failure). The
    ///   warnings name the account and the variable, never a password.
    public static func apply(
        _ accounts: [ServerConfiguration.Account],
        to store: any AccountStore,
        environment: [String: String]
    ) -> [String] {
        var warnings: [String] = []
        for account in accounts {
            guard let localpart = account.jid.localpart else {
                warnings.append("\(account.jid): an account needs a username; skipped")
                continue
            }
            guard let password = account.resolvedPassword(environment: environment) else {
                let source = account.passwordEnvironment.map { "the environment variable \($0) is not set" }
                warnings.append(
                    "\(account.jid): no password (\(source ?? "none configured")); its stored password, if any, is kept"
                )
                continue
            }
            do {
                let upToDate = try HashAlgorithm.allCases.allSatisfy { algorithm in
                    let stored = try store.credentials(
                        username: localpart,
                        host: account.jid.domainpart,
                        algorithm: algorithm
                    )
                    return stored?.verify(password: password) ?? false
                }
                if !upToDate {
                    try store.setPassword(password, username: localpart, host: account.jid.domainpart)
                }
            } catch {
                warnings.append("\(account.jid): cannot update the account store: \(error)")
            }
        }
        return warnings
    }
}
