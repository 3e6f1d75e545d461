import Foundation
import History
import JobPreparation
import JobRuntime
import SecureShell
import Slurm

extension EffectRunner {
    /// Lists the user's jobs now and every five seconds, one remote command
    /// each time, until the Jobs view is left.
    func watchJobs(withEnded: Bool, on cluster: ClusterID?, ticket: Ticket) async {
        guard let cluster else { return send(.jobsListed(ticket, on: nil, .failure(JobsFailure(message: "\(NotOpen(cluster: nil))")))) }
        while !Task.isCancelled {
            do {
                let ssh = try await host(cluster)
                let jobs = try await JobLister.list(user: ssh.settings.user, finishedSince: withEnded ? "now-1days" : nil, on: ssh)
                if Task.isCancelled { return }
                send(.jobsListed(ticket, on: cluster, .success(jobs)))
            } catch {
                if Task.isCancelled { return }
                send(.jobsListed(ticket, on: cluster, .failure(JobsFailure(message: "\(error)"))))
            }
            try? await clock.sleep(for: .seconds(5))
        }
    }

    /// History's unfinished jobs on the connected cluster: their states asked
    /// for in one remote command now and every 20 s while History is shown.
    func watchHistory() async {
        while !Task.isCancelled {
            if let history, let ssh = try? await host(activeCluster) {
                let settings = ssh.settings
                if let records = try? history.unfinished(host: settings.host, port: settings.port, user: settings.user),
                   !records.isEmpty, let refreshed = try? await history.refresh(records, on: ssh), !Task.isCancelled {
                    let changed = zip(records, refreshed).filter { $0.state != $1.state }.count
                    if changed > 0 { send(.historyStatesRefreshed(changed)) }
                }
            }
            try? await clock.sleep(for: .seconds(20))
        }
    }

    /// A job as a record the Monitor follows: hpcs-job's own from the
    /// history; any other from `scontrol show job` (its log path, expanded
    /// by Slurm), kept out of the history.
    func openJob(_ job: JobSummary, on cluster: ClusterID, ticket: Ticket) async {
        // hpcs-job's own record only when it is of this cluster (job ids repeat across clusters).
        if let id = job.submissionID, let record = try? history?.record(id), record.cluster == cluster {
            return send(.jobOpened(ticket, .success(record)))
        }
        do {
            let record = try await ForeignJob.record(job.jobID, name: job.name, state: job.state.rawValue, on: try await host(cluster))
            send(.jobOpened(ticket, .success(record)))
        } catch let unknown as ForeignJob.Unknown {
            send(.jobOpened(ticket, .failure(JobsFailure(message: "\(unknown)"))))
        } catch {
            send(.jobOpened(ticket, .failure(JobsFailure(message: "job \(job.jobID): \(error)"))))
        }
    }
}
