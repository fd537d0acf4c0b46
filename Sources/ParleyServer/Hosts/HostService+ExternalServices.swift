import Foundation
import ParleyCore
import ParleyXML

extension HostService {
    /// XEP-0215 requests to the host (`ExternalServiceDiscovery`): only a bound session of one of this server's
    /// hosts gets an answer with credentials, as Prosody's `mod_external_services` serves c2s sessions only.
    /// Neither the request nor the answer is logged: the answer holds credentials.
    func answerExternalServices(
        _ stanza: Stanza,
        _ payload: XMLElement,
        _ discovery: ExternalServiceDiscovery,
        router: StanzaRouter
    ) {
        let requester = stanza.from
        let isLocalSession =
            requester.map { from in
                from.localpart != nil && router.hosts[from.domainpart] != nil && router.registry.session(from) != nil
            } ?? false
        let now = Int(Date().timeIntervalSince1970)
        switch discovery.answer(
            payload,
            type: stanza.type,
            requester: requester,
            isLocalSession: isLocalSession,
            now: now
        ) {
        case .result(let answer):
            router.route(stanza.resultReply(answer))
        case .error(let error):
            router.bounce(stanza, error)
        }
    }
}
