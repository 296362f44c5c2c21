#include "schema/cluster.hpp"

#include "schema/room_cluster.hpp"

namespace sy {

void register_cluster_types(caf::actor_system_config& cfg) {
  register_errc(cfg); // errors cross nodes as (code, category): every node renders them alike
  cfg.add_message_type<event>("sy::event");
  cfg.add_message_type<std::vector<event>>("std::vector<sy::event>");
  cfg.add_message_type<cursor>("sy::cursor");
  cfg.add_message_type<publish_cmd>("sy::publish_cmd");
  cfg.add_message_type<history_query>("sy::history_query");
  cfg.add_message_type<member_info>("sy::member_info");
  cfg.add_message_type<std::vector<member_info>>("std::vector<sy::member_info>");
  cfg.add_message_type<member_status>("sy::member_status");
  cfg.add_message_type<std::vector<member_status>>("std::vector<sy::member_status>");
  cfg.add_message_type<wire_publish_result>("sy::wire_publish_result");
  cfg.add_message_type<follow_sync>("sy::follow_sync");
  cfg.add_message_type<cluster_view>("sy::cluster_view");
  cfg.add_message_type<wire_history_page>("sy::wire_history_page");
  cfg.add_message_type<follow_request>("sy::follow_request");
  cfg.add_message_type<fetch_request>("sy::fetch_request");
  cfg.add_message_type<remote_pattern>("sy::remote_pattern");
  cfg.add_message_type<cluster_actor>("sy::cluster_actor");
  cfg.add_message_type<std::vector<cluster_actor>>("std::vector<sy::cluster_actor>");
  cfg.add_message_type<channel_actor>("sy::channel_actor");
  cfg.add_message_type<pattern_actor>("sy::pattern_actor");
  register_room_cluster_types(cfg);
}

} // namespace sy
