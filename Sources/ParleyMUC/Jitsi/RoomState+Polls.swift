import Foundation
import ParleyCore
import ParleyXML

/// Jitsi's polls (`mod_polls_component`, lib-jitsi-meet's `Polls`): occupants create polls and answer them; every
/// occupant gets each new poll and each answer as the component relays them, and a joiner gets all polls so far
/// (`"command":"old-polls"`), all as `<json-message xmlns='http://jitsi.org/jitmeet'>` from the component.
///
/// Where Jitsi's module lists a voter once more for every answer it sends (and fails on an answer to a choice the
/// poll does not have), Parley keeps one vote per voter per poll: answering again replaces the voter's choices.
extension RoomState {
    /// Applies an occupant's poll command: the messages to every occupant, or the error to answer it with.
    public mutating func polls(_ command: PollsCommand, from requester: JID) -> Result<[Stanza], StanzaError> {
        guard let component = self.service.pollsComponent else {
            return .failure(StanzaError(.serviceUnavailable, text: "Polls are off"))
        }
        guard let occupant = self.occupant(of: requester) else {
            return .failure(StanzaError(.itemNotFound, text: "You are not in this meeting"))
        }
        let senderName = Self.displayName(of: occupant)
        var relayed = command.fields
        relayed["type"] = .string("polls")
        relayed["senderId"] = .string(occupant.nick)
        switch command.kind {
        case .newPoll(let question, let answers):
            guard self.pollsState.polls.count < Polls.maxPolls else {
                return .failure(StanzaError(.policyViolation, text: "A room may have at most \(Polls.maxPolls) polls"))
            }
            guard self.pollsState.index(of: command.pollID) == nil else {
                return .failure(StanzaError(.notAllowed, type: .cancel, text: "Poll already exists"))
            }
            self.pollsState.polls.append(
                Polls.Poll(
                    pollID: command.pollID,
                    senderID: occupant.nick,
                    senderName: senderName,
                    question: question,
                    answers: answers.map { Polls.Answer(name: $0) }
                )
            )
        case .answerPoll(let choices):
            guard let index = self.pollsState.index(of: command.pollID) else {
                return .failure(StanzaError(.itemNotFound, text: "No such poll"))
            }
            guard choices.count == self.pollsState.polls[index].answers.count else {
                return .failure(StanzaError(.badRequest, text: "The answers do not match the poll's choices"))
            }
            for (slot, chosen) in choices.enumerated() {
                self.pollsState.polls[index].answers[slot].voters.removeAll { $0.id == occupant.nick }
                if chosen {
                    self.pollsState.polls[index].answers[slot].voters.append(
                        Polls.Voter(id: occupant.nick, name: senderName)
                    )
                }
            }
            if let senderName { relayed["senderName"] = .string(senderName) }
        }
        let body = JSONValue.text(.object(relayed))
        return .success(self.everyOccupantSession.map { self.jsonMessage(body, to: $0, from: component) })
    }

    /// A joiner gets every poll so far with its votes.
    func pollsReaction(to event: RoomEvent) -> [Stanza] {
        guard case .occupantJoined(let nick) = event, let component = self.service.pollsComponent,
            !self.pollsState.polls.isEmpty, let occupant = self.occupants[nick]
        else { return [] }
        let polls: [JSONValue] = self.pollsState.polls.map { poll in
            var fields: [String: JSONValue] = [
                "pollId": .string(poll.pollID), "senderId": .string(poll.senderID), "question": .string(poll.question),
                "answers": .array(
                    poll.answers.map { answer in
                        .object([
                            "name": .string(answer.name),
                            "voters": .array(
                                answer.voters.map { voter in
                                    var v: [String: JSONValue] = ["id": .string(voter.id)]
                                    if let name = voter.name { v["name"] = .string(name) }
                                    return .object(v)
                                }
                            ),
                        ])
                    }
                ),
            ]
            if let name = poll.senderName { fields["senderName"] = .string(name) }
            return .object(fields)
        }
        let body = JSONValue.text(
            .object(["type": .string("polls"), "command": .string("old-polls"), "polls": .array(polls)])
        )
        return [self.jsonMessage(body, to: occupant.primarySession, from: component)]
    }

    private var everyOccupantSession: [JID] { self.order.compactMap { self.occupants[$0]?.primarySession } }

    /// The `<nick xmlns='http://jabber.org/protocol/nick'>` of the occupant's presence.
    static func displayName(of occupant: Occupant) -> String? {
        for node in occupant.payload {
            if case .element(let e) = node, e.name == "nick", e.namespace == "http://jabber.org/protocol/nick" {
                return e.text
            }
        }
        return nil
    }
}
