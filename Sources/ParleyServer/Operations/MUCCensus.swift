import NIOCore
import ParleyCore
import ParleyMUC

/// Jitsi's `mod_muc_census`: `GET /room-census` answers every conference room with its participants (the
/// occupants other than the focus), its creation time (milliseconds since 1970, as Jitsi's `created_timestamp`)
/// and whether it leaked (it has participants and none of them has a session any more):
///
/// ```json
/// {"room_census": [{"room_name": "abc@muc.meet.jitsi", "participants": 2, "created_time": 1733572800000,
///                   "leaked": false}]}
/// ```
///
/// Rooms of the brewery's service and Jicofo's health-check rooms are left out, as Jitsi leaves out the latter.
/// Room names are listed (signal-sidecar and shard automation need them); who is in a room never is.
extension OperatorEndpoints {
    func census(on eventLoop: any EventLoop) -> EventLoopFuture<OperatorResponse> {
        let registry = self.registry
        var reads: [EventLoopFuture<JSONValue?>] = []
        for service in self.mucServices where service.domain != self.brewery?.service.domain {
            for room in service.allRooms {
                guard !(room.jid.localpart ?? "").hasPrefix(OperatorEndpoints.healthCheckRoomPrefix) else { continue }
                reads.append(
                    room.inspect { state -> JSONValue? in
                        guard !state.destroyed else { return nil }
                        let participants = state.participants
                        let leaked =
                            !participants.isEmpty
                            && participants.allSatisfy { occupant in
                                occupant.sessions.allSatisfy { !registry.isBound($0) }
                            }
                        return .object([
                            "room_name": .string(state.jid.description),
                            "participants": .number(Double(participants.count)),
                            "created_time": .number(Double(state.createdMillis)),
                            "leaked": .bool(leaked),
                        ])
                    }
                )
            }
        }
        return EventLoopFuture.whenAllSucceed(reads, on: eventLoop).map { rooms in
            let sorted = rooms.compactMap { $0 }.sorted {
                ($0["room_name"]?.string ?? "") < ($1["room_name"]?.string ?? "")
            }
            return .json(.ok, .object(["room_census": .array(sorted)]))
        }
    }

    /// Jicofo's health checks make rooms named `__jicofo-health-check-…` (Jitsi's `is_healthcheck_room`).
    static let healthCheckRoomPrefix = "__jicofo-health-check"
}
