import NIOCore
import ParleyCore
import ParleyMUC
import ParleyTransports

/// Jitsi's `mod_muc_size`: `GET /room-size?room=NAME&domain=meet.jitsi[&subdomain=TENANT]` answers
/// `{"participants": N}`, the occupants other than the focus, or 404 when the room does not exist;
/// `GET /room?…` answers one object per such occupant.
///
/// Jitsi's `/room` gives each occupant's nick JID, display name and e-mail to whoever can reach the endpoint.
/// Parley gives them only with `operations.occupancy_identities: true`; otherwise each object is empty, so the
/// list still says how many are there and nothing about who.
extension OperatorEndpoints {
    func room(_ query: HTTPQuery, listing: Bool, on eventLoop: any EventLoop) -> EventLoopFuture<OperatorResponse> {
        guard let name = query["room"], !name.isEmpty, let domain = query["domain"], !domain.isEmpty else {
            return eventLoop.makeSucceededFuture(.text(.badRequest, "room and domain are required\n"))
        }
        guard let (service, localpart) = self.conferenceRoom(name, domain: domain, subdomain: query["subdomain"]),
            let room = service.room(localpart)
        else {
            return eventLoop.makeSucceededFuture(.text(.notFound, "No such room\n"))
        }
        let identities = self.settings.occupancyIdentities
        return room.inspect { state -> JSONValue in
            let participants = state.participants
            guard listing else { return .object(["participants": .number(Double(participants.count))]) }
            return .array(
                participants.sorted { $0.nick < $1.nick }.map { occupant in
                    guard identities else { return .object([:]) }
                    return .object([
                        "jid": .string(occupant.jid.description),
                        "email": .string(occupant.email ?? ""),
                        "display_name": .string(occupant.displayName ?? ""),
                    ])
                }
            )
        }.hop(to: eventLoop).map { .json(.ok, $0) }
    }

    /// The conference MUC and room localpart for Jitsi's `build_room_address`: `NAME@<prefix>.DOMAIN`, with the
    /// prefix docker uses (`muc`) or Jitsi's default (`conference`), and `[TENANT]NAME` for a tenant other than the
    /// domain itself (`muc_domain_mapper`). Nil when no such service exists or the name is not a valid localpart.
    func conferenceRoom(_ name: String, domain: String, subdomain: String?) -> (MUCService, String)? {
        let domain = domain.lowercased()
        let candidates = ["muc.\(domain)", "conference.\(domain)", domain]
        guard
            let service = candidates.lazy.compactMap({ candidate in
                self.mucServices.first { $0.domain == candidate }
            }).first
        else { return nil }
        var localpart = name
        if let subdomain, !subdomain.isEmpty, subdomain.lowercased() != domain {
            localpart = "[\(subdomain)]\(name)"
        }
        guard let jid = try? JID(localpart: localpart, domainpart: service.domain, resourcepart: nil),
            let prepared = jid.localpart
        else { return nil }
        return (service, prepared)
    }
}
