/// The room a web session was opened for: the `room` and `prefix` (tenant) query parameters of its first BOSH or
/// WebSocket request, which lib-jitsi-meet puts on the URL (Prosody's `jitsi_web_query_room` and
/// `jitsi_web_query_prefix`, set by `mod_jitsi_session`). Components that act on "the user's conference" find the
/// room from it, as Jitsi's modules do (`mod_end_conference`).
public struct WebSessionRoom: Sendable, Hashable {
    public let room: String
    public let prefix: String?

    /// From a session's query; nil without a `room`.
    public init?(query: [String: String]) {
        guard let room = query["room"], !room.isEmpty else { return nil }
        self.room = room.lowercased()
        self.prefix = query["prefix"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    /// The room's localpart on the main MUC: `[tenant]room` for a tenant (Jitsi's `muc_domain_mapper` form),
    /// plain `room` otherwise, or when the prefix is the main domain itself (Jitsi's
    /// `get_room_by_name_and_subdomain`).
    public func localpart(mainDomain: String) -> String {
        guard let prefix = self.prefix, prefix != mainDomain.lowercased() else { return self.room }
        return "[\(prefix)]\(self.room)"
    }
}
