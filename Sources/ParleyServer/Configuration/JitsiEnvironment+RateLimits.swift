import ParleyCore

extension JitsiEnvironment {
    /// docker-jitsi-meet's rate-limit variables (`prosody/rootfs/defaults/prosody.cfg.lua`, `conf.d/jitsi-meet.cfg.lua`):
    /// - `PROSODY_ENABLE_RATE_LIMITS` → `rate_limits` (Jitsi's `mod_rate_limit`) with `PROSODY_RATE_LIMIT_LOGIN_RATE`
    ///   (3), `_SESSION_RATE` (200), `_TIMEOUT` (60), `_ALLOW_RANGES` (10.0.0.0/8), `_CACHE_SIZE` (10000), and 3
    ///   joins per room per second on the conference MUC (`mod_muc_rate_limit`);
    /// - `PROSODY_C2S_LIMIT` (`10kb/s`, Prosody's decimal units, `ProsodyByteRate`) → `c2s.rate_limit`, unless
    ///   `PROSODY_DISABLE_C2S_LIMIT`; docker sets it whenever the image runs, so it applies in docker mode only;
    /// - `PROSODY_TRUSTED_PROXIES` (`127.0.0.1,::1`) → `http.trusted_proxies`.
    static func applyRateLimits(
        to c: inout ServerConfiguration,
        dockerMode: Bool,
        value: (String) -> String?,
        flag: (String) -> Bool
    ) -> [String] {
        var notes: [String] = []
        func number(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let text = value(name) else { return fallback }
            guard let parsed = Int(text), range.contains(parsed) else {
                notes.append(
                    "\(name)=\(text) is not a number in \(range.lowerBound)…\(range.upperBound); using \(fallback)"
                )
                return fallback
            }
            return parsed
        }
        func networks(_ name: String, _ fallback: [String]) -> [IPNetwork] {
            let entries = value(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            var found: [IPNetwork] = []
            for entry in entries ?? fallback where !entry.isEmpty {
                if let network = IPNetwork(entry) {
                    found.append(network)
                } else {
                    notes.append("\(name): '\(entry)' is not an address or range; left out")
                }
            }
            return found
        }
        if flag("PROSODY_ENABLE_RATE_LIMITS") {
            var limits = ServerConfiguration.RateLimits()
            limits.loginRate = number("PROSODY_RATE_LIMIT_LOGIN_RATE", 3, 1...100_000)
            limits.sessionRate = number("PROSODY_RATE_LIMIT_SESSION_RATE", 200, 1...1_073_741_824)
            limits.timeout = number("PROSODY_RATE_LIMIT_TIMEOUT", 60, 1...86_400)
            limits.allow = networks("PROSODY_RATE_LIMIT_ALLOW_RANGES", ["10.0.0.0/8"])
            limits.cacheSize = number("PROSODY_RATE_LIMIT_CACHE_SIZE", 10_000, 1...10_000_000)
            c.rateLimits = limits
            for index in c.muc.indices where c.muc[index].focusLock { c.muc[index].joinRate = 3 }
        }
        if dockerMode, !flag("PROSODY_DISABLE_C2S_LIMIT") {
            let text = value("PROSODY_C2S_LIMIT") ?? "10kb/s"
            if let rate = ProsodyByteRate.bytesPerSecond(text) {
                c.c2s.rateLimit = rate
            } else {
                notes.append("PROSODY_C2S_LIMIT=\(text) is not a rate such as 10kb/s; no limit")
            }
        }
        if value("PROSODY_TRUSTED_PROXIES") != nil {
            c.http.trustedProxies = networks("PROSODY_TRUSTED_PROXIES", [])
        }
        return notes
    }
}
