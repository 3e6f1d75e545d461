import Foundation
import GRDB
import SecureShell
import Slurm

/// What the history list can be narrowed to.
public struct HistoryFilter: Sendable, Equatable {
    /// Words that must each appear in what the user sees or typed (name, ids,
    /// cluster, state, paths, arguments); case-insensitive, taken literally.
    public var text: String?
    /// Slurm's word (any case), or `failed` / `not-submitted` (lower case) for
    /// submissions that never reached Slurm.
    public var state: String?
    public var since: Date?
    public var until: Date?
    /// The login node's host name.
    public var cluster: String?
    public var limit: Int?

    public init(text: String? = nil, state: String? = nil, since: Date? = nil, until: Date? = nil, cluster: String? = nil,
                limit: Int? = nil) {
        self.text = text
        self.state = state
        self.since = since
        self.until = until
        self.cluster = cluster
        self.limit = limit
    }
}

/// One row of the history list: the columns the list shows, without the
/// record's heavy parts (script, info files, spec), which `record(_:)` loads.
public struct HistoryEntry: Codable, Sendable, Equatable, FetchableRecord, Identifiable {
    public var id: String
    public var createdAt: Date
    public var jobName: String
    public var jobID: String?
    public var clusterHost: String
    public var clusterPort: Int
    public var clusterUser: String
    public var cluster: ClusterID { ClusterID(user: clusterUser, host: clusterHost, port: clusterPort) }
    public var stage: SubmissionStage
    public var state: String?
    public var exitCode: Int?
    public var workdir: String
    public var remoteDir: String?
    public var failure: String?

    static let columns = """
        id, createdAt, coalesce(json_extract(spec, '$.jobName'), '') AS jobName, jobID, clusterHost, clusterPort, clusterUser,
        stage, state, exitCode, coalesce(json_extract(spec, '$.workdir'), '') AS workdir, remoteDir, failure
        """

    public init(_ record: SubmissionRecord) {
        id = record.id
        createdAt = record.createdAt
        jobName = record.spec.jobName
        jobID = record.jobID
        clusterHost = record.clusterHost
        clusterPort = record.clusterPort
        clusterUser = record.clusterUser
        stage = record.stage
        state = record.state
        exitCode = record.exitCode
        workdir = record.spec.workdir
        remoteDir = record.remoteDir
        failure = record.failure
    }

    public var jobState: JobState? { state.flatMap { JobState(slurm: $0) } }

    public var isFinished: Bool { stage == .failed || jobState?.isTerminal == true }
}

/// The SQL of a filter: a WHERE clause (maybe empty) and its arguments.
struct FilterClause {
    var conditions: [String] = []
    var arguments = StatementArguments()
    /// Set when the text is the only condition and too common for the index:
    /// then the search rows alone are counted, without visiting submissions.
    private(set) var textOnlyCount: (sql: String, arguments: StatementArguments)?

    /// Up to `sparseLimit` matches: read them by rowid and sort. Up to
    /// `commonLimit`: walk the list in order, checking each row against the
    /// set of matches. More: walk the list checking each row's text, which
    /// stops after a page because matches are everywhere.
    struct Limits: Sendable {
        var sparse = 5000
        var common = 20000
    }

    init(_ filter: HistoryFilter, _ db: Database, limits: Limits = Limits()) throws {
        if let since = filter.since { add("createdAt >= ?", [since]) }
        if let until = filter.until { add("createdAt <= ?", [until]) }
        if let cluster = filter.cluster, !cluster.isEmpty { add("clusterHost = ?", [cluster]) }
        if let state = filter.state, !state.isEmpty {
            // Lower-case `failed` (as the TUI's state filter writes it) is the
            // stage; Slurm's FAILED is a job state.
            if state == "failed" || state == "not-submitted" { add("stage = ?", ["failed"]) } else { add("state = ?", [state.uppercased()]) }
        }
        let words = (filter.text ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty else { return }
        let long = words.filter { $0.unicodeScalars.count >= 3 }
        let likes = Array(repeating: "t.text LIKE ? ESCAPE '\\'", count: words.count).joined(separator: " AND ")
        let patterns: [any DatabaseValueConvertible] = words.map { "%" + Self.likeLiteral($0) + "%" }
        if !long.isEmpty {
            // Words of three characters or more, as quoted strings (never query syntax), through the trigram index.
            let match = long.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND ")
            let candidates = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM submission_search WHERE text MATCH ? LIMIT ?)",
                                              arguments: [match, limits.common + 1]) ?? 0
            if candidates <= limits.common {
                let short = words.filter { $0.unicodeScalars.count < 3 }
                if conditions.isEmpty, short.isEmpty {
                    textOnlyCount = ("SELECT count(*) FROM submission_search WHERE text MATCH ?", [match])
                }
                // `+rowid`: no lookups by rowid; the planner walks an index in list order instead.
                add((candidates <= limits.sparse ? "rowid" : "+rowid") + " IN (SELECT rowid FROM submission_search WHERE text MATCH ?)",
                    [match])
                if !short.isEmpty {
                    add("EXISTS (SELECT 1 FROM submission_text t WHERE t.row = submission.rowid AND "
                        + Array(repeating: "t.text LIKE ? ESCAPE '\\'", count: short.count).joined(separator: " AND ") + ")",
                        short.map { "%" + Self.likeLiteral($0) + "%" })
                }
                return
            }
        }
        if conditions.isEmpty {
            textOnlyCount = ("SELECT count(*) FROM submission_text t WHERE \(likes)", StatementArguments(patterns))
        }
        add("EXISTS (SELECT 1 FROM submission_text t WHERE t.row = submission.rowid AND \(likes))", patterns)
    }

    mutating func add(_ sql: String, _ values: [any DatabaseValueConvertible]) {
        conditions.append(sql)
        arguments += StatementArguments(values)
    }

    var whereSQL: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    /// `text` matched literally by LIKE … ESCAPE '\': its %, _ and \ escaped.
    static func likeLiteral(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension HistoryStore {
    static let listOrder = "ORDER BY createdAt DESC, rowid DESC"

    /// A page of the list, newest first: `limit` entries from position `offset`.
    public func entries(_ filter: HistoryFilter = HistoryFilter(), offset: Int = 0, limit: Int) throws -> [HistoryEntry] {
        try pool.read { db in
            let clause = try FilterClause(filter, db, limits: searchLimits)
            return try HistoryEntry.fetchAll(db, sql: "SELECT \(HistoryEntry.columns) FROM submission \(clause.whereSQL) \(Self.listOrder) LIMIT ? OFFSET ?",
                                      arguments: clause.arguments + [max(0, limit), max(0, offset)])
        }
    }

    /// How many records match, without loading them.
    public func count(_ filter: HistoryFilter = HistoryFilter()) throws -> Int {
        try pool.read { db in
            let clause = try FilterClause(filter, db, limits: searchLimits)
            if let count = clause.textOnlyCount { return try Int.fetchOne(db, sql: count.sql, arguments: count.arguments) ?? 0 }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM submission \(clause.whereSQL)", arguments: clause.arguments) ?? 0
        }
    }

    /// Where the record `id` is in the filtered list, or nil when the filter excludes it.
    public func position(of id: String, in filter: HistoryFilter = HistoryFilter()) throws -> Int? {
        try pool.read { db in
            var clause = try FilterClause(filter, db, limits: searchLimits)
            guard let row = try Row.fetchOne(db, sql: "SELECT createdAt, rowid FROM submission WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let createdAt: DatabaseValue = row[0]
            let rowid: Int64 = row[1]
            var matching = clause
            matching.add("rowid = ?", [rowid])
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM submission \(matching.whereSQL))",
                                    arguments: matching.arguments) == true else { return nil }
            clause.add("(createdAt > ? OR (createdAt = ? AND rowid > ?))", [createdAt, createdAt, rowid])
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM submission \(clause.whereSQL)", arguments: clause.arguments)
        }
    }

    /// Calls `body` with each matching entry, newest first, reading as it
    /// goes: memory stays flat however long the history is.
    public func forEachEntry(_ filter: HistoryFilter = HistoryFilter(), _ body: (HistoryEntry) throws -> Void) throws {
        let limit = filter.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        try pool.read { db in
            let clause = try FilterClause(filter, db, limits: searchLimits)
            let cursor = try HistoryEntry.fetchCursor(db, sql: "SELECT \(HistoryEntry.columns) FROM submission \(clause.whereSQL) \(Self.listOrder)\(limit)",
                                                      arguments: clause.arguments)
            while let entry = try cursor.next() { try body(entry) }
        }
    }

    /// Whole records, newest first (for the few callers that need every field).
    public func list(_ filter: HistoryFilter = HistoryFilter()) throws -> [SubmissionRecord] {
        let limit = filter.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        return try pool.read { db in
            let clause = try FilterClause(filter, db, limits: searchLimits)
            return try SubmissionRecord.fetchAll(db, sql: "SELECT * FROM submission \(clause.whereSQL) \(Self.listOrder)\(limit)",
                                          arguments: clause.arguments)
        }
    }
}
