import TerminalUI

/// Which match the view is on, of how many.
public struct SearchMatch: Equatable, Sendable {
    public var number: Int
    public var count: Int
}

/// Search in the log and in a results file: a fresh query for each `/`,
/// n to the next older match and N to the next newer one, "not found" said,
/// the match's place shown as k/N.
enum PaneSearch {
    /// Enter in the search field: the nearest match at or above the view.
    static func start(_ view: inout LogViewState, query: String) -> (SearchMatch?, notice: String?) {
        view.search = query.isEmpty ? nil : query
        guard !query.isEmpty else { return (nil, nil) }
        if view.find(older: true, includingCurrent: true) || view.find(older: false) { return (position(view), nil) }
        return (nil, "“\(query)” not found in the \(view.lines.count) lines loaded")
    }

    static func step(_ view: inout LogViewState, older: Bool) -> (SearchMatch?, notice: String?) {
        guard let query = view.search else { return (nil, "no search yet: / starts one") }
        if view.find(older: older) { return (position(view), nil) }
        return (position(view), "no \(older ? "older" : "newer") match for “\(query)”")
    }

    static func position(_ view: LogViewState) -> SearchMatch? {
        view.matchPosition().map { SearchMatch(number: $0.number, count: $0.count) }
    }

    /// The title's search part: ` · /query 3/17`.
    static func title(_ view: LogViewState, _ match: SearchMatch?) -> String {
        guard let search = view.search, !search.isEmpty else { return "" }
        return " · /\(search)" + (match.map { " \($0.number)/\($0.count)" } ?? "")
    }
}
