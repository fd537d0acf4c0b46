import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's audio/video moderation (`mod_av_moderation_component`, lib-jitsi-meet's `AVModeration`): moderators turn
/// moderation of a media type on and off, approve occupants to unmute and take the approval back; every occupant
/// learns what it needs from JSON messages sent by the component, `<message from='avmoderation.meet.jitsi'>
/// <json-message xmlns='http://jitsi.org/jitmeet'>{"type":"av_moderation",…}</json-message></message>`:
/// - everyone: `enabled` (true/false), the `actor` nick and the `mediaType`, when it changes and on joining;
/// - moderators (Jicofo among them): the `whitelists` of every moderated media type, on every change and when they
///   join or become owner;
/// - an approved participant: `approved`, and `removed` when the approval is taken back.
extension RoomState {
    /// Carries out a moderator's command: the notices it causes, or the error to answer it with (participants get
    /// `forbidden`; Jitsi's module answers nothing).
    public mutating func avModeration(
        _ command: AVModerationCommand,
        from requester: JID
    ) -> Result<[Stanza], StanzaError> {
        guard let component = self.service.avModerationComponent else {
            return .failure(StanzaError(.serviceUnavailable, text: "Audio/video moderation is off"))
        }
        guard let actor = self.occupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        guard actor.role == .moderator else {
            return .failure(StanzaError(.forbidden, text: "Only moderators may moderate audio and video"))
        }
        switch command {
        case .enable(let mediaType, true):
            // Already on: a concurrent request from another moderator; nothing changes.
            guard !self.avModerationState.isModerated(mediaType) else { return .success([]) }
            self.avModerationState.whitelists[mediaType] = []
            self.avModerationState.actors[mediaType] = actor.nick
            return .success(
                self.avEnabledNotices(
                    mediaType,
                    enabled: true,
                    actor: actor.nick,
                    to: self.everyOccupantJID,
                    from: component
                )
                    + self.avWhitelistNotices(about: nil, mediaType: mediaType, removed: false, from: component)
            )
        case .enable(let mediaType, false):
            guard self.avModerationState.isModerated(mediaType) else { return .success([]) }
            self.avModerationState.whitelists[mediaType] = nil
            self.avModerationState.actors[mediaType] = nil
            return .success(
                self.avEnabledNotices(
                    mediaType,
                    enabled: false,
                    actor: actor.nick,
                    to: self.everyOccupantJID,
                    from: component
                )
            )
        case .approve(let mediaType, let occupantJID):
            guard let target = self.avTarget(occupantJID) else {
                return .failure(StanzaError(.itemNotFound, text: "No such occupant"))
            }
            guard self.avModerationState.isModerated(mediaType) else {
                // A moderator asking someone to unmute while nothing is moderated: only that occupant hears of it.
                let body = self.avBody(["approved": true, "mediaType": mediaType.rawValue, "from": actor.nick])
                return .success([self.jsonMessage(body, to: target.primarySession, from: component)])
            }
            let key = target.jid.description
            if self.avModerationState.whitelists[mediaType]?.contains(key) == false {
                self.avModerationState.whitelists[mediaType]?.append(key)
            }
            return .success(
                self.avWhitelistNotices(about: target, mediaType: mediaType, removed: false, from: component)
            )
        case .reject(let mediaType, let occupantJID):
            guard let target = self.avTarget(occupantJID) else {
                return .failure(StanzaError(.itemNotFound, text: "No such occupant"))
            }
            let key = target.jid.description
            guard let index = self.avModerationState.whitelists[mediaType]?.firstIndex(of: key) else {
                return .success([])
            }
            self.avModerationState.whitelists[mediaType]?.remove(at: index)
            return .success(
                self.avWhitelistNotices(about: target, mediaType: mediaType, removed: true, from: component)
            )
        }
    }

    /// On joining, an occupant learns which media types are moderated; a moderator gets the whitelists too. A new
    /// owner (a moderator from now on) gets the whitelists.
    func avModerationReaction(to event: RoomEvent) -> [Stanza] {
        guard let component = self.service.avModerationComponent, self.avModerationState.isActive else { return [] }
        switch event {
        case .occupantJoined(let nick):
            guard let occupant = self.occupants[nick] else { return [] }
            var out: [Stanza] = []
            for mediaType in self.avModerationState.whitelists.keys.sorted() {
                out += self.avEnabledNotices(
                    mediaType,
                    enabled: true,
                    actor: self.avModerationState.actors[mediaType] ?? "",
                    to: [occupant.primarySession],
                    from: component
                )
            }
            if occupant.role == .moderator {
                out.append(
                    self.jsonMessage(
                        self.avModeratorBody(mediaType: nil, removed: false),
                        to: occupant.primarySession,
                        from: component
                    )
                )
            }
            return out
        case .occupantLeaving, .occupantLeft, .invited, .roomDestroyed:
            return []
        case .affiliationChanged(let bareJID, let affiliation):
            guard affiliation == .owner else { return [] }
            return self.order.compactMap { self.occupants[$0] }.filter { $0.bareJID == bareJID }.map {
                self.jsonMessage(
                    self.avModeratorBody(mediaType: nil, removed: false),
                    to: $0.primarySession,
                    from: component
                )
            }
        }
    }

    // MARK: Notices

    private var everyOccupantJID: [JID] { self.order.compactMap { self.occupants[$0]?.primarySession } }

    /// The occupant a command names: `room@service/nick` of this room.
    private func avTarget(_ occupantJID: JID) -> Occupant? {
        guard occupantJID.bare == self.jid, let nick = occupantJID.resourcepart else { return nil }
        return self.occupants[nick]
    }

    private func avEnabledNotices(
        _ mediaType: AVModeration.MediaType,
        enabled: Bool,
        actor: String,
        to recipients: [JID],
        from component: JID
    ) -> [Stanza] {
        let body = self.avBody(["enabled": enabled, "actor": actor, "mediaType": mediaType.rawValue])
        return recipients.map { self.jsonMessage(body, to: $0, from: component) }
    }

    /// The whitelists to every moderator; to `target` (when it is not a moderator) only that it was approved or
    /// that its approval was taken back.
    private func avWhitelistNotices(
        about target: Occupant?,
        mediaType: AVModeration.MediaType,
        removed: Bool,
        from component: JID
    ) -> [Stanza] {
        let moderatorBody = self.avModeratorBody(mediaType: mediaType, removed: removed)
        var participant: [String: Any] = ["mediaType": mediaType.rawValue]
        if removed { participant["removed"] = true } else { participant["approved"] = true }
        let participantBody = self.avBody(participant)
        var out: [Stanza] = []
        for nick in self.order {
            guard let occupant = self.occupants[nick] else { continue }
            if occupant.role == .moderator {
                out.append(self.jsonMessage(moderatorBody, to: occupant.primarySession, from: component))
            } else if occupant.nick == target?.nick {
                out.append(self.jsonMessage(participantBody, to: occupant.primarySession, from: component))
            }
        }
        return out
    }

    private func avModeratorBody(mediaType: AVModeration.MediaType?, removed: Bool) -> String {
        var whitelists: [String: [String]] = [:]
        for (kind, list) in self.avModerationState.whitelists { whitelists[kind.rawValue] = list }
        var fields: [String: Any] = ["whitelists": whitelists]
        if let mediaType { fields["mediaType"] = mediaType.rawValue }
        if removed { fields["removed"] = true }
        return self.avBody(fields)
    }

    /// `{"type":"av_moderation","room":"…", …}` with sorted keys.
    private func avBody(_ fields: [String: Any]) -> String {
        var object = fields
        object["type"] = "av_moderation"
        object["room"] = self.jid.description
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `<message from=component to=recipient><json-message xmlns='http://jitsi.org/jitmeet'>body</json-message>`.
    func jsonMessage(_ body: String, to recipient: JID, from component: JID) -> Stanza {
        var message = XMLElement(name: "message", namespace: Namespace.client)
        var json = XMLElement(name: "json-message", namespace: "http://jitsi.org/jitmeet")
        json.append(text: body)
        message.append(json)
        return Stanza(unchecked: message, kind: .message, from: component, to: recipient)
    }
}
