import Foundation
import History
import JobPreparation
import SecureShell
import Slurm

/// What the user asked to submit.
public struct SubmitRequest: Sendable, Equatable {
    public var config: HPCSConfig
    public var appInfoPath: String
    public var dataInfoPath: String
    public var spec: JobSpec
    /// The draft's id when it was rendered before (the TUI's preview keeps
    /// one id per draft, so re-rendering changes only what the user changed).
    public var submissionID: String?

    public init(config: HPCSConfig, appInfoPath: String, dataInfoPath: String, spec: JobSpec, submissionID: String? = nil) {
        self.config = config
        self.appInfoPath = appInfoPath
        self.dataInfoPath = dataInfoPath
        self.spec = spec
        self.submissionID = submissionID
    }
}

/// Progress of a submission, for the UI and the CLI.
public enum SubmitEvent: Sendable, Equatable {
    case step(String)
    case checksumProgress(done: UInt64, total: UInt64)
}

/// A submission checked and rendered, ready to upload (the preview).
public struct PreparedSubmission: Sendable, Equatable {
    public let plan: SubmissionPlan
    public let sbatch: String
    /// Whether a history record exists (not for dry runs).
    public let recorded: Bool
}

/// sbatch refused the job; `message` is its own text, verbatim.
public struct SubmissionFailed: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "sbatch refused the job: \(message)" }

    public init(message: String) { self.message = message }
}

/// sbatch may have queued the job, but whether it did is not known (or it
/// did and could not be recorded). Nothing is undone: the record stays
/// "submitting" and recovery finds the job by its comment tag.
public struct SubmissionUnclear: Error, Sendable, Equatable, CustomStringConvertible {
    public let submissionID: String
    public var jobID: String?
    public let reason: String

    public init(submissionID: String, jobID: String? = nil, reason: String) {
        self.submissionID = submissionID
        self.jobID = jobID
        self.reason = reason
    }

    public var description: String {
        (jobID.map { "job \($0) was submitted, but " } ?? "sbatch may have queued the job, but ")
            + "\(reason). Submission \(submissionID) is kept as it is (its key and remote files too); "
            + "hpcs-job settles it by its comment tag hpcs-job:\(submissionID) the next time it connects "
            + "(`hpcs-job status \(submissionID)`)."
    }
}

/// The seed's job preparation (fetch, parse, verify, render, key, upload)
/// and the first runtime step (sbatch), recording every step in History
/// before it runs so a crash can be recovered.
public struct Submitter: Sendable {
    public let history: HistoryStore
    public let paths: LocalPaths
    public let templates: TemplateStore

    public init(history: HistoryStore, paths: LocalPaths, templates: TemplateStore) {
        self.history = history
        self.paths = paths
        self.templates = templates
    }

    /// Fetches and checks both info files, verifies checksums (unless a dry
    /// run) and renders the SBATCH. Records the submission unless a dry run.
    public func prepare(_ request: SubmitRequest, on host: RemoteHost, dryRun: Bool = false,
                        events: @escaping @Sendable (SubmitEvent) -> Void = { _ in }) async throws -> PreparedSubmission {
        try request.spec.validate()
        // Before anything is recorded or uploaded: a job that could not trust its SPIRE server never starts.
        if let problem = request.config.bootstrapProblem { throw problem }
        let template = try templates.load(request.spec.template)
        let id = request.submissionID ?? SubmissionPlan.newSubmissionID()
        let settings = host.settings
        if !dryRun {
            try history.insert(SubmissionRecord(id: id, clusterHost: settings.host, clusterPort: settings.port,
                                                clusterUser: settings.user, configPath: request.config.path,
                                                appInfoPath: request.appInfoPath, dataInfoPath: request.dataInfoPath,
                                                spec: request.spec))
        }
        do {
            let trustDomain = request.config.spireServer.trustDomain
            events(.step("fetching \(request.appInfoPath)"))
            let application = try await InfoFetcher.fetch(request.appInfoPath, from: host, trustDomain: trustDomain)
            events(.step("fetching \(request.dataInfoPath)"))
            let data = try await InfoFetcher.fetch(request.dataInfoPath, from: host, trustDomain: trustDomain)
            if !dryRun {
                try history.update(id) { record in
                    record.appInfo = application.info
                    record.dataInfo = data.info
                }
                events(.step("verifying SHA-512 checksums"))
                try await InfoFetcher.verifyChecksums([application, data], on: host) { done, total in
                    events(.checksumProgress(done: done, total: total))
                }
            }
            let plan = SubmissionPlan(submissionID: id, config: request.config, application: application, data: data,
                                      spec: request.spec, remoteHome: try await host.homeDirectory(),
                                      tools: try ToolManifest.load(paths, cluster: host.settings), trustBundle: try request.config.readTrustBundle())
            let sbatch = try plan.render(template)
            if !dryRun {
                try history.advance(id, to: .verified) { record in
                    record.sbatchText = sbatch
                    record.remoteDir = plan.remoteDirectory
                    record.remoteLog = plan.logFile
                    record.remoteOutput = plan.encryptedOutput
                }
            }
            return PreparedSubmission(plan: plan, sbatch: sbatch, recorded: !dryRun)
        } catch {
            if !dryRun { markFailed(id, error) }
            throw error
        }
    }

    /// Generates the output key, uploads the three files and runs sbatch.
    /// `editedSbatch` replaces the rendered script (a one-off edit in the
    /// preview); it is what gets submitted and recorded.
    public func submit(_ prepared: PreparedSubmission, editedSbatch: String? = nil, on host: RemoteHost,
                       events: @escaping @Sendable (SubmitEvent) -> Void = { _ in }) async throws -> SubmissionRecord {
        let plan = prepared.plan
        let id = plan.submissionID
        let sbatch = editedSbatch ?? prepared.sbatch
        var keyFile: URL?
        var uploaded = false
        if !prepared.recorded {
            // A preview made without a record (the TUI's): record it now and
            // verify the checksums before anything is uploaded.
            try await record(prepared, on: host, events: events)
        }
        do {
            events(.step("generating this job's output key"))
            let (identityFile, recipient) = try OutputKeys.generate(submissionID: id, paths: paths)
            keyFile = identityFile
            try history.advance(id, to: .keyed) { record in
                record.identityFile = identityFile.path
                record.sbatchText = sbatch
            }
            events(.step("uploading to \(plan.remoteDirectory)"))
            try await host.makeDirectories(plan.spec.workdir, mode: 0o700)
            try await Uploader.upload(plan, sbatch: sbatch, recipient: recipient.description, to: host) { what in
                events(.step("uploading \(what)"))
            }
            uploaded = true
            try history.advance(id, to: .uploaded)
            // Recorded before sbatch runs: a crash from here on is recovered by the comment tag.
            try history.advance(id, to: .submitting)
        } catch {
            await undo(plan, error, removingRemoteFiles: uploaded || !(error is PreparationError), keyFile: keyFile, on: host)
            throw error
        }
        return try await runSbatch(plan, on: host, events: events)
    }

    /// A submission that certainly did not reach Slurm: marked failed, its
    /// remote files and its key removed.
    private func undo(_ plan: SubmissionPlan, _ error: Error, removingRemoteFiles: Bool, keyFile: URL?,
                      on host: RemoteHost) async {
        markFailed(plan.submissionID, error)
        if removingRemoteFiles { await Uploader.removeSubmissionDirectory(plan, from: host) }
        if let keyFile { try? FileManager.default.removeItem(at: keyFile) }
    }

    /// sbatch, once everything is uploaded. Only a clear refusal
    /// (`SbatchFailure.refused`: sbatch said why, no transport error) undoes the submission. When sbatch may
    /// have queued the job (the connection dropped, its answer cannot be
    /// read, the history write after it failed), the record stays
    /// "submitting" and the key and the remote files stay: recovery settles
    /// it by the comment tag, and a queued job can still write its results.
    private func runSbatch(_ plan: SubmissionPlan, on host: RemoteHost,
                           events: @escaping @Sendable (SubmitEvent) -> Void) async throws -> SubmissionRecord {
        let id = plan.submissionID
        events(.step("sbatch"))
        let result: CommandResult
        do {
            result = try await host.run(SlurmCommand.sbatch(script: plan.sbatchPath, comment: "hpcs-job:\(id)"))
        } catch {
            throw SubmissionUnclear(submissionID: id, reason: "the connection failed while sbatch ran: \(error)")
        }
        guard let code = result.status.code else {
            throw SubmissionUnclear(submissionID: id, reason: "sbatch was ended by a signal before it answered")
        }
        guard code == 0 else {
            switch SbatchFailure.classify(exitCode: code, stderr: result.stderrText) {
            case let .refused(message):
                let refusal = SubmissionFailed(message: message)
                await undo(plan, refusal, removingRemoteFiles: true, keyFile: paths.keyFile(submissionID: id), on: host)
                throw refusal
            case let .unclear(message):
                // Slurm may have queued it before failing to answer: keep everything, settle by the tag.
                throw SubmissionUnclear(submissionID: id, reason: "sbatch failed in a way that does not say the job was refused: \(message)")
            }
        }
        let jobID: String
        do {
            jobID = try SlurmParser.sbatchJobID(result.stdoutText)
        } catch {
            throw SubmissionUnclear(submissionID: id, reason: "sbatch succeeded but its answer cannot be read: \(error)")
        }
        let stored: SubmissionRecord?
        do {
            stored = try history.advance(id, to: .submitted) { record in
                record.jobID = jobID
                record.state = JobState.pending.rawValue
            }
        } catch {
            throw SubmissionUnclear(submissionID: id, jobID: jobID, reason: "the history could not record it: \(error)")
        }
        guard let record = stored else {
            throw SubmissionUnclear(submissionID: id, jobID: jobID, reason: "its history record disappeared")
        }
        events(.step("submitted as job \(jobID)"))
        return record
    }

    /// `YYYY-MM-DDTHH:MM:SS`, as sacct -S takes it.
    static func slurmDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: date)
    }

    private func record(_ prepared: PreparedSubmission, on host: RemoteHost,
                        events: @escaping @Sendable (SubmitEvent) -> Void) async throws {
        let plan = prepared.plan
        // The cluster as the connection reached it (an `--ssh-config` file may
        // name another host than the user's own ssh_config would).
        let settings = host.settings
        var record = SubmissionRecord(id: plan.submissionID, clusterHost: settings.host, clusterPort: settings.port,
                                      clusterUser: settings.user, configPath: plan.config.path,
                                      appInfoPath: plan.application.remotePath, dataInfoPath: plan.data.remotePath, spec: plan.spec)
        record.appInfo = plan.application.info
        record.dataInfo = plan.data.info
        record.sbatchText = prepared.sbatch
        record.remoteDir = plan.remoteDirectory
        record.remoteLog = plan.logFile
        record.remoteOutput = plan.encryptedOutput
        try history.insert(record)
        do {
            events(.step("verifying SHA-512 checksums"))
            try await InfoFetcher.verifyChecksums([plan.application, plan.data], on: host) { done, total in
                events(.checksumProgress(done: done, total: total))
            }
            try history.advance(plan.submissionID, to: .verified)
        } catch {
            markFailed(plan.submissionID, error)
            throw error
        }
    }

    private func markFailed(_ id: String, _ error: Error) {
        _ = try? history.advance(id, to: .failed) { $0.failure = "\(error)" }
    }

    /// Completes records whose sbatch may have run before the job id was
    /// stored (the process died, the connection dropped): finds the job by
    /// its `--comment` tag. Only records of the cluster `host` is connected
    /// to (`cluster`) are looked at: another cluster's jobs are not there.
    @discardableResult
    public func recover(on host: RemoteHost, cluster: ConnectionSettings) async throws -> [SubmissionRecord] {
        var recovered: [SubmissionRecord] = []
        let mine = try history.unresolved().filter { $0.cluster == cluster.cluster }
        for record in mine {
            var found: JobStatus?
            var accountingAnswered = false
            let queue = try await host.run(SlurmCommand.squeueByUser(record.clusterUser))
            if queue.status.succeeded { found = try SlurmParser.squeue(queue.stdoutText).first { $0.comment == record.slurmComment } }
            if found == nil {
                // A day of margin: the cluster's clock and time zone may differ from ours.
                let since = Self.slurmDate(record.createdAt.addingTimeInterval(-86_400))
                let accounting = try await host.run(SlurmCommand.sacctByComment(user: record.clusterUser, since: since))
                if accounting.status.succeeded {
                    accountingAnswered = true
                    found = try SlurmParser.sacct(accounting.stdoutText).first { $0.comment == record.slurmComment }
                }
            }
            if let found {
                if let updated = try history.advance(record.id, to: .submitted, { updated in
                    updated.jobID = found.jobID
                    updated.state = found.state.rawValue
                }) { recovered.append(updated) }
            } else if queue.status.succeeded, accountingAnswered {
                // Both asked and both answered without it: it never ran. A
                // Slurm that did not answer says nothing; the record waits.
                try history.advance(record.id, to: .failed) {
                    $0.failure = "no job tagged \(record.slurmComment) exists: sbatch did not run before hpcs-job stopped"
                }
            }
        }
        return recovered
    }
}
