import Foundation
import History
@testable import HPCSJobApp
import SecureShell

extension ClusterID {
    /// The fixtures' cluster (`Screens.connected`, `Screens.record`).
    static let alice = ClusterID(user: "alice", host: "login.example.org", port: 22)

    /// `user@host:port` as the tests write it.
    init(_ text: String) {
        let at = text.firstIndex(of: "@") ?? text.startIndex
        let colon = text.lastIndex(of: ":") ?? text.endIndex
        self.init(user: String(text[..<at]), host: String(text[text.index(after: at)..<colon]),
                  port: Int(text[text.index(after: colon)...]) ?? 22)
    }
}

extension Update {
    /// A reply to the slot's current request, as the runner would send it
    /// (one is issued here when the test sent the reply unasked).
    @discardableResult
    static func answer(_ state: inout AppState, _ slot: Ticket.Slot, _ message: (Ticket) throws -> Message) rethrows -> [Effect] {
        var ticket = state.tickets.current(slot)
        if !state.tickets.isCurrent(ticket) { ticket = state.tickets.issue(slot) }
        return update(&state, try message(ticket))
    }
}

extension Effect {
    /// The effect without its ticket and without the active cluster the
    /// update stamped on a wizard request: what most tests compare.
    /// Tests of tickets and clusters look at the effect itself.
    var plain: Effect {
        switch self {
        case let .list(path, _, _): .list(path)
        case let .fetchInfo(role, path, trust, _, _): .fetchInfo(role, path, trustDomain: trust)
        case let .verify(infos, _, _): .verify(infos)
        case let .loadClusterChoices(user, _, _): .loadClusterChoices(user: user)
        case let .prepare(request, _, _): .prepare(request)
        case let .watchJobs(withEnded, _, _): .watchJobs(withEnded: withEnded)
        case let .openJob(job, cluster, _): .openJob(job, on: cluster)
        case let .monitor(record, _): .monitor(record)
        case let .fetchResults(record, _): .fetchResults(record)
        case let .scanResults(url, _): .scanResults(url)
        case let .readResultFile(root, path, _): .readResultFile(root: root, path: path)
        case let .loadEarlierLog(path, before, cluster, _): .loadEarlierLog(path: path, before: before, on: cluster)
        default: self
        }
    }

    /// The ticket the update issued it with, if it is a request.
    var ticket: Ticket? {
        switch self {
        case let .list(_, _, ticket), let .fetchInfo(_, _, _, _, ticket), let .verify(_, _, ticket),
             let .loadClusterChoices(_, _, ticket), let .prepare(_, _, ticket), let .watchJobs(_, _, ticket),
             let .openJob(_, _, ticket), let .monitor(_, ticket), let .fetchResults(_, ticket), let .scanResults(_, ticket),
             let .readResultFile(_, _, ticket), let .loadEarlierLog(_, _, _, ticket):
            ticket
        default: nil
        }
    }
}

extension Array where Element == Effect {
    var plain: [Effect] { map(\.plain) }
}

extension MonitorScreen {
    /// Attaches as the update does: the monitor's request issued its ticket.
    @discardableResult
    static func attachIssued(_ state: inout AppState, _ record: SubmissionRecord) -> [Effect] {
        var effects = attach(&state, record)
        for index in effects.indices { effects[index].issue(&state.tickets, active: state.connect.connectedTo) }
        return effects
    }
}
