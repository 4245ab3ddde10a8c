// GET /ui: a small chat page served from the binary (no files to install).
// It lists /v1/models, streams /v1/chat/completions over SSE and keeps the
// conversation in the page. With --api-key the page asks for the key and
// sends it as a Bearer token.
#pragma once

#include "server/router.h"

namespace shimmy::server {

void AddWebUiRoute(Router& router);

}  // namespace shimmy::server
