// The Manager's HTTP service (docs/manager.md): the JSON API over the metadata repository,
// /healthz, /readyz and /metrics, bearer-token authentication, optional TLS, and the periodic
// retention and archival job.
//
// Start binds the port and returns; serving, the schema migration (retried until the database
// is reachable; /readyz answers 503 until it is done) and the retention job run on threads of
// their own. Stop is graceful: no new connections, requests in flight finish.
#pragma once

#include <chrono>
#include <memory>

#include "core/result.h"
#include "manager/manager_config.h"
#include "manager/retention.h"

namespace nilus::manager {

// The retention job's options from the Manager's configuration.
RetentionOptions RetentionOptionsFrom(const ManagerConfig& config);

class ManagerServer {
 public:
  // Errors: IOError naming the address when the port cannot be bound; InvalidArgument for an
  // unusable TLS certificate or retention setting.
  static Result<std::unique_ptr<ManagerServer>> Start(const ManagerConfig& config);
  ~ManagerServer();  // Stop()s

  // The bound port (the chosen one when the configuration said 0).
  int port() const;
  bool tls() const;

  // Whether the schema is migrated and the database answers.
  bool ready();

  // Stops accepting, waits up to `timeout` for requests in flight and the retention job.
  // Returns false when they did not finish in time. Idempotent.
  bool Stop(std::chrono::milliseconds timeout);

  // A fatal start-up problem found after Start (the database is at a newer schema version):
  // set when the process should exit non-zero. Empty when none.
  std::string fatal_error();

 private:
  struct Rep;
  explicit ManagerServer(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus::manager
