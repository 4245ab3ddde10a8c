// GET /health → 200 {"status":"ok"}: answers as soon as the server listens,
// before any model is loaded, and never needs auth.
#pragma once

#include "server/router.h"

namespace shimmy::server {

void AddHealthRoute(Router& router);

}  // namespace shimmy::server
