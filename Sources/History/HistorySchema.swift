import GRDB

/// The history's tables and their migrations. Each migration runs once, in
/// its own transaction: a crash half-way leaves the previous schema intact.
enum HistorySchema {
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
        migrator.registerMigration("v3: list indexes and full-text search") { db in
            // The list filters by state, stage or cluster and orders by time:
            // each filter gets an index that already holds the order.
            try db.execute(sql: """
                CREATE INDEX submission_by_state ON submission(state, createdAt);
                CREATE INDEX submission_by_stage ON submission(stage, createdAt);
                CREATE INDEX submission_by_cluster ON submission(clusterHost, createdAt);
                """)
            try createSearch(db)
        }
        return migrator
    }

    /// Substring search over what a user sees and typed: `submission_text`
    /// holds one line per submission (same rowid), `submission_search` is its
    /// trigram index. Kept by triggers, so every writer keeps them current.
    static func createSearch(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE submission_text(row INTEGER PRIMARY KEY, id TEXT NOT NULL, text TEXT NOT NULL);
            CREATE VIRTUAL TABLE submission_search USING fts5(text, content = 'submission_text', content_rowid = 'row',
                                                              tokenize = 'trigram');
            CREATE TRIGGER submission_text_insert AFTER INSERT ON submission_text BEGIN
                INSERT INTO submission_search(rowid, text) VALUES (new.row, new.text);
            END;
            CREATE TRIGGER submission_text_delete AFTER DELETE ON submission_text BEGIN
                INSERT INTO submission_search(submission_search, rowid, text) VALUES ('delete', old.row, old.text);
            END;
            CREATE TRIGGER submission_text_update AFTER UPDATE ON submission_text BEGIN
                INSERT INTO submission_search(submission_search, rowid, text) VALUES ('delete', old.row, old.text);
                INSERT INTO submission_search(rowid, text) VALUES (new.row, new.text);
            END;
            CREATE TRIGGER submission_insert_text AFTER INSERT ON submission BEGIN
                INSERT INTO submission_text(row, id, text) VALUES (new.rowid, new.id, \(searchText("new.")));
            END;
            CREATE TRIGGER submission_update_text AFTER UPDATE ON submission
                WHEN (\(searchText("new."))) IS NOT (\(searchText("old."))) OR new.rowid IS NOT old.rowid BEGIN
                DELETE FROM submission_text WHERE row = old.rowid;
                INSERT INTO submission_text(row, id, text) VALUES (new.rowid, new.id, \(searchText("new.")));
            END;
            CREATE TRIGGER submission_delete_text AFTER DELETE ON submission BEGIN
                DELETE FROM submission_text WHERE row = old.rowid;
            END;
            """)
        try fillSearch(db)
    }

    static func fillSearch(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM submission_text;
            INSERT INTO submission_text(row, id, text) SELECT rowid, id, \(searchText("")) FROM submission;
            """)
    }

    /// Rebuilds the search rows when they no longer line up with the
    /// submissions' (a `VACUUM` by hand may renumber rowids).
    static func repairSearchIfNeeded(_ db: Database) throws {
        // The newest and oldest search rows must still name their submissions'
        // rowids, and the newest submission must have its row: O(1) at every
        // open (triggers keep the rest), and renumbering after a deletion
        // moves the newest row.
        let misaligned = try Bool.fetchOne(db, sql: """
            WITH newest AS (SELECT row, id FROM submission_text ORDER BY row DESC LIMIT 1),
                 oldest AS (SELECT row, id FROM submission_text ORDER BY row LIMIT 1)
            SELECT (SELECT rowid FROM submission WHERE id = (SELECT id FROM newest)) IS NOT (SELECT row FROM newest)
                OR (SELECT rowid FROM submission WHERE id = (SELECT id FROM oldest)) IS NOT (SELECT row FROM oldest)
                OR (SELECT max(rowid) FROM submission) IS NOT (SELECT row FROM newest)
            """) ?? false
        if misaligned { try fillSearch(db) }
    }

    /// The searched text of one row: the fields a user sees or typed, one per
    /// line, so a word never matches across two fields.
    static func searchText(_ row: String) -> String {
        let fields = [
            "\(row)id", "coalesce(\(row)jobID, '')", "coalesce(json_extract(\(row)spec, '$.jobName'), '')",
            "\(row)clusterUser || '@' || \(row)clusterHost || ':' || \(row)clusterPort",
            "CASE WHEN \(row)stage = 'failed' THEN 'failed, not submitted' ELSE coalesce(\(row)state, \(row)stage) END",
            "\(row)appInfoPath", "\(row)dataInfoPath", "\(row)configPath",
            "coalesce(json_extract(\(row)spec, '$.workdir'), '')", "coalesce(json_extract(\(row)spec, '$.partition'), '')",
            "coalesce(json_extract(\(row)spec, '$.account'), '')",
            "coalesce(\(row)remoteDir, '')", "coalesce(\(row)resultsDir, '')", "coalesce(\(row)remoteLog, '')",
            "coalesce((SELECT group_concat(value, ' ') FROM json_each(\(row)spec, '$.applicationArguments')), '')",
            "coalesce((SELECT group_concat(value, ' ') FROM json_each(\(row)spec, '$.singularityFlags')), '')",
        ]
        return fields.joined(separator: " || char(10) || ")
    }
}
