import Foundation
import ParleyCore

/// A room's polls (Jitsi's `mod_polls_component`), in memory with the room: each poll's question, its answers with
/// who chose them, and who asked it. Late joiners get them all; nothing outlives the room.
public struct Polls: Sendable, Equatable {
    public struct Voter: Sendable, Equatable {
        public let id: String
        public let name: String?
    }

    public struct Answer: Sendable, Equatable {
        public let name: String
        public internal(set) var voters: [Voter] = []
    }

    public struct Poll: Sendable, Equatable {
        public let pollID: String
        public let senderID: String
        public let senderName: String?
        public let question: String
        public internal(set) var answers: [Answer]
    }

    /// The most polls in one room, and the largest JSON payload of one command, as Jitsi's module has them.
    public static let maxPolls = 128
    public static let maxPayloadBytes = 1024

    /// Polls in creation order.
    public internal(set) var polls: [Poll] = []

    public init() {}

    func index(of pollID: String) -> Int? { self.polls.firstIndex { $0.pollID == pollID } }
}

/// A command lib-jitsi-meet's `Polls` module sends to the component as a private message:
/// `<message type='chat' to='polls.meet.jitsi'><json-message xmlns='http://jitsi.org/jitmeet'>{"type":"polls",
/// "command":"new-poll","pollId":…,"question":…,"answers":[{"name":…}]}</json-message></message>`, or
/// `"command":"answer-poll"` with `"answers":[true,false,…]`.
public struct PollsCommand: Sendable {
    public enum Kind: Sendable, Equatable {
        case newPoll(question: String, answers: [String])
        case answerPoll(choices: [Bool])
    }

    public let pollID: String
    public let kind: Kind
    /// The client's JSON object as sent, to relay with the sender added (lib-jitsi-meet reads its own fields).
    let fields: [String: JSONValue]

    /// Reads and checks the JSON text: at most `Polls.maxPayloadBytes` (`policy-violation`), then the shape the
    /// module's `validate_polls` requires (`bad-request`).
    public init(json text: String) throws(StanzaError) {
        guard text.utf8.count < Polls.maxPayloadBytes else {
            throw StanzaError(
                .policyViolation,
                text: "A poll message may have at most \(Polls.maxPayloadBytes - 1) bytes"
            )
        }
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw StanzaError(.badRequest, text: "The poll message is not a JSON object")
        }
        guard case .string("polls") = fields["type"], case .string(let pollID) = fields["pollId"], !pollID.isEmpty,
            case .array(let answers) = fields["answers"], !answers.isEmpty
        else {
            throw StanzaError(.badRequest, text: "A poll message needs type polls, a pollId and answers")
        }
        switch fields["command"] {
        case .string("new-poll"):
            guard case .string(let question) = fields["question"] else {
                throw StanzaError(.badRequest, text: "A new poll needs a question")
            }
            var names: [String] = []
            for answer in answers {
                guard case .object(let a) = answer, case .string(let name) = a["name"] else {
                    throw StanzaError(.badRequest, text: "Each answer of a new poll needs a name")
                }
                names.append(name)
            }
            self.kind = .newPoll(question: question, answers: names)
        case .string("answer-poll"):
            var choices: [Bool] = []
            for answer in answers {
                guard case .bool(let chosen) = answer else {
                    throw StanzaError(.badRequest, text: "The answers to a poll are true or false")
                }
                choices.append(chosen)
            }
            self.kind = .answerPoll(choices: choices)
        default:
            throw StanzaError(.badRequest, text: "command must be new-poll or answer-poll")
        }
        self.pollID = pollID
        self.fields = fields
    }
}
