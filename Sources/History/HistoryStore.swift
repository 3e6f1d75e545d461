import Foundation
import GRDB

/// The local record of submissions: SQLite (WAL) at
/// `$XDG_DATA_HOME/hpcs-job/history.sqlite`, with migrations from day one.
/// Every write is a transaction, so a crash never leaves half a record.
public final class HistoryStore: Sendable {
    private let pool: DatabasePool
    public let url: URL

    public init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: url.path, configuration: configuration)
        _ = chmod(url.path, 0o600)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: submissions") { db in
            try db.create(table: "submission") { table in
                table.primaryKey("id", .text)
                table.column("createdAt", .datetime).notNull().indexed()
                table.column("updatedAt", .datetime).notNull()
                table.column("clusterHost", .text).notNull()
                table.column("clusterPort", .integer).notNull()
                table.column("clusterUser", .text).notNull()
                table.column("configPath", .text).notNull()
                table.column("appInfoPath", .text).notNull()
                table.column("dataInfoPath", .text).notNull()
                table.column("appInfo", .jsonText)
                table.column("dataInfo", .jsonText)
                table.column("spec", .jsonText).notNull()
                table.column("templateName", .text).notNull()
                table.column("sbatchText", .text)
                table.column("remoteDir", .text)
                table.column("identityFile", .text)
                table.column("jobID", .text).indexed()
                table.column("stage", .text).notNull()
                table.column("state", .text)
                table.column("exitCode", .integer)
                table.column("failure", .text)
                table.column("stepTimes", .jsonText).notNull()
                table.column("logOffset", .integer).notNull().defaults(to: 0)
                table.column("resultsDir", .text)
            }
        }
        migrator.registerMigration("v2: per-submission log and output paths") { db in
            try db.alter(table: "submission") { table in
                table.add(column: "remoteLog", .text)
                table.add(column: "remoteOutput", .text)
            }
        }
        return migrator
    }

    public func insert(_ record: SubmissionRecord) throws {
        try pool.write { db in try record.insert(db) }
    }

    /// Reads, changes and writes one record in a single transaction.
    @discardableResult
    public func update(_ id: String, _ change: (inout SubmissionRecord) -> Void) throws -> SubmissionRecord? {
        try pool.write { db in
            guard var record = try SubmissionRecord.fetchOne(db, key: id) else { return nil }
            change(&record)
            record.updatedAt = Date()
            try record.update(db)
            return record
        }
    }

    /// Moves a record to `stage`, stamping the time.
    @discardableResult
    public func advance(_ id: String, to stage: SubmissionStage, _ change: (inout SubmissionRecord) -> Void = { _ in }) throws -> SubmissionRecord? {
        try update(id) { record in
            record.stage = stage
            record.stepTimes[stage.rawValue] = Date()
            change(&record)
        }
    }

    public func record(_ id: String) throws -> SubmissionRecord? {
        try pool.read { db in try SubmissionRecord.fetchOne(db, key: id) }
    }

    /// A record by submission id, id prefix, or Slurm job id.
    public func find(_ reference: String) throws -> SubmissionRecord? {
        try pool.read { db in
            if let exact = try SubmissionRecord.fetchOne(db, key: reference) { return exact }
            if let byJob = try SubmissionRecord.filter(Column("jobID") == reference).order(Column("createdAt").desc).fetchOne(db) {
                return byJob
            }
            let matches = try SubmissionRecord.filter(sql: "id LIKE ? ESCAPE '\\'", arguments: [Self.likeLiteral(reference) + "%"])
                .limit(2).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    /// Newest first.
    public func list(_ filter: HistoryFilter = HistoryFilter()) throws -> [SubmissionRecord] {
        try pool.read { db in
            var request = SubmissionRecord.order(Column("createdAt").desc)
            if let since = filter.since { request = request.filter(Column("createdAt") >= since) }
            if let until = filter.until { request = request.filter(Column("createdAt") <= until) }
            if let state = filter.state {
                request = state == "failed" ? request.filter(Column("stage") == "failed")
                    : request.filter(Column("state") == state.uppercased())
            }
            if let text = filter.text, !text.isEmpty {
                // What the user sees and typed, not the stored JSON's key names.
                let pattern = "%" + Self.likeLiteral(text) + "%"
                let searched = ["id", "jobID", "clusterHost", "clusterUser", "state", "appInfoPath", "dataInfoPath",
                                "json_extract(spec, '$.jobName')", "json_extract(spec, '$.workdir')",
                                "json_extract(spec, '$.partition')", "json_extract(spec, '$.account')"]
                request = request.filter(sql: searched.map { "\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR "),
                                         arguments: StatementArguments(Array(repeating: pattern, count: searched.count)))
            }
            if let limit = filter.limit { request = request.limit(limit) }
            return try request.fetchAll(db)
        }
    }

    /// `text` matched literally by LIKE … ESCAPE '\': its %, _ and \ escaped.
    static func likeLiteral(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// Records whose sbatch may have run without the job id being stored.
    public func unresolved() throws -> [SubmissionRecord] {
        try pool.read { db in
            try SubmissionRecord.filter(Column("stage") == SubmissionStage.submitting.rawValue && Column("jobID") == nil).fetchAll(db)
        }
    }
}
