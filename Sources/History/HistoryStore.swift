import Foundation
import GRDB

/// The local record of submissions: SQLite (WAL) at
/// `$XDG_DATA_HOME/hpcs-job/history.sqlite`, with migrations from day one.
/// Every write is a transaction, so a crash never leaves half a record.
public final class HistoryStore: Sendable {
    let pool: DatabasePool
    public let url: URL

    /// When search switches query plan (tests lower them to reach every plan with few records).
    let searchLimits: FilterClause.Limits

    public convenience init(url: URL) throws {
        try self.init(url: url, searchLimits: FilterClause.Limits())
    }

    init(url: URL, searchLimits: FilterClause.Limits) throws {
        self.url = url
        self.searchLimits = searchLimits
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm
        // files the database's own mode.
        let descriptor = open(url.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        for suffix in ["", "-wal", "-shm"] { _ = chmod(url.path + suffix, 0o600) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // The WAL file is cut back to this after each checkpoint instead of keeping its largest size.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        pool = try DatabasePool(path: url.path, configuration: configuration)
        try HistorySchema.migrator.migrate(pool)
        try pool.write { db in try HistorySchema.repairSearchIfNeeded(db) }
        // Folds what earlier runs left in the WAL into the database; another
        // hpcs-job reading at the same time only makes this a no-op.
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    public func insert(_ record: SubmissionRecord) throws {
        try pool.write { db in try record.insert(db) }
    }

    /// Many records in one transaction (imports, benchmarks).
    public func insert(contentsOf records: [SubmissionRecord]) throws {
        try pool.write { db in for record in records { try record.insert(db) } }
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
            let matches = try SubmissionRecord.filter(sql: "id LIKE ? ESCAPE '\\'", arguments: [FilterClause.likeLiteral(reference) + "%"])
                .limit(2).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    /// Submitted jobs whose last known state is not final, newest first,
    /// on one cluster: the ones whose state is worth asking Slurm again.
    public func unfinished(host: String, port: Int, user: String, limit: Int = 500) throws -> [SubmissionRecord] {
        try pool.read { db in
            try SubmissionRecord
                .filter(Column("jobID") != nil && Column("clusterHost") == host && Column("clusterPort") == port
                        && Column("clusterUser") == user)
                .filter(Column("state") == nil || !SubmissionRecord.finalStates.contains(Column("state")))
                .order(Column("createdAt").desc).limit(limit).fetchAll(db)
        }
    }

    /// Records whose sbatch may have run without the job id being stored.
    public func unresolved() throws -> [SubmissionRecord] {
        try pool.read { db in
            try SubmissionRecord.filter(Column("stage") == SubmissionStage.submitting.rawValue && Column("jobID") == nil).fetchAll(db)
        }
    }
}
