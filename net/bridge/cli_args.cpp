#include "net/bridge/cli_args.hpp"

#include <cstdlib>
#include <set>

namespace sy {

const char* const cli_usage = R"(usage: switchyard <command> [options]

commands:
  serve          run the router (REST + WebSocket on one port)
  publish        publish one event to a running node and print the stored event
  tail           print a running node's events on channels, one JSON line each, until stopped
  token          print a JWT signed with the configured secret
  check-config   validate and print the effective configuration (indented JSON)
  backup         copy a running node's store into a new directory (POST /v1/admin/backup)

options (all commands):
  --config FILE      JSON config file (also SWITCHYARD_CONFIG)
  --set KEY=VALUE    override one setting (repeatable), e.g. --set realtime.topic_limit=64
  --listen HOST:PORT same as --set listen=HOST:PORT (also SWITCHYARD_LISTEN)
serve options (cluster, CLUSTER.md):
  --cluster-port P   CAF remoting port of this node (same as --set cluster.port=P)
  --join H:P[,H:P]   seed nodes to join (same as --set cluster.join=...)
publish CHANNEL JSON [options]     (JSON: the event's data, any JSON value)
  --type T           the event's type (default "message")
  --key KEY          idempotency key: the same key again is answered with the first event
  --api-key KEY      credential (default SWITCHYARD_API_KEY / auth.api_key)
tail CHANNEL... [options]          (a CHANNEL may be a pattern: prefix* or *)
  --since CURSOR     resume after CURSOR (one channel); CHANNEL=CURSOR with several (repeatable)
  --scopes JSON      only events whose metadata holds these key/values, e.g. '{"user":"u1"}'
  --token JWT        credential (default SWITCHYARD_TOKEN, else a token minted here with the
                     configured secret)
publish and tail:
  --url URL          the node, http://HOST:PORT (default SWITCHYARD_URL, else the listen address)
token options:
  --sub NAME         subject claim (required)
  --ttl SECONDS      lifetime (default auth.token_default_ttl_s = 3600)
  --channels PATTERN...  allow subscribing to channels matching each PATTERN (exact, prefix*, *);
                     needed with auth.development = false
  --publish PATTERN  allow publishing to channels matching PATTERN (repeatable; "*" for all)
  --workspace ID     grant workspace ID (repeatable; gateway and SnackBase endpoints);
                     --publish patterns then name channels inside the workspaces only
  --admin            set the admin claim
backup options:
  --to DIR           the new directory, on the node's host (required; must not exist)
  --url URL          the node (default http://127.0.0.1:<port of listen>)
  --api-key KEY      the node's API key (default SWITCHYARD_API_KEY / auth.api_key)

exit codes (publish, tail, token, usage errors): 0 ok, 1 usage, 2 refused by the server (its
error code is printed) or invalid configuration, 3 cannot connect.
)";

cli parse_cli(int argc, char** argv) {
  static const std::set<std::string> valued = {
    "--config", "--set",   "--listen", "--cluster-port", "--join",  "--sub",
    "--ttl",    "--publish", "--workspace", "--to",      "--url",   "--api-key",
    "--token",  "--type",  "--key",    "--since",        "--scopes"};
  cli c;
  if (argc < 2) {
    c.error = "missing command";
    return c;
  }
  c.command = argv[1];
  for (int i = 2; i < argc && c.error.empty(); ++i) {
    std::string a = argv[i];
    if (a == "--admin") {
      c.admin = true;
      continue;
    }
    if (a == "--channels") {
      // --channels a b c and --channels a --channels b alike: every argument up to the next
      // option is a pattern.
      int first = i + 1;
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
        c.channels.push_back(argv[++i]);
      if (i < first)
        c.error = "--channels needs at least one pattern";
      continue;
    }
    if (valued.count(a) == 0) {
      if (a.rfind("--", 0) == 0)
        c.error = "unknown option " + a;
      else
        c.positional.push_back(a);
      continue;
    }
    if (i + 1 >= argc) {
      c.error = a + " needs a value";
      break;
    }
    std::string v = argv[++i];
    if (a == "--config")
      c.config_file = v;
    else if (a == "--set")
      c.sets.push_back(v);
    else if (a == "--listen")
      c.sets.push_back("listen=" + v);
    else if (a == "--cluster-port")
      c.sets.push_back("cluster.port=" + v);
    else if (a == "--join")
      c.sets.push_back("cluster.join=" + v);
    else if (a == "--sub")
      c.sub = v;
    else if (a == "--ttl") {
      char* end = nullptr;
      auto n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1)
        c.error = "--ttl needs a positive number of seconds";
      c.ttl = n;
    } else if (a == "--publish")
      c.publish.push_back(v);
    else if (a == "--workspace")
      c.workspaces.push_back(v);
    else if (a == "--to")
      c.to = v;
    else if (a == "--url")
      c.url = v;
    else if (a == "--api-key")
      c.api_key = v;
    else if (a == "--token")
      c.token = v;
    else if (a == "--type")
      c.type = v;
    else if (a == "--key")
      c.key = v;
    else if (a == "--since")
      c.since.push_back(v);
    else if (a == "--scopes")
      c.scopes = v;
  }
  if (c.error.empty() && c.command != "publish" && c.command != "tail" && !c.positional.empty())
    c.error = "unexpected argument " + c.positional.front();
  return c;
}

} // namespace sy
