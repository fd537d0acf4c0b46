-- /config/conf.d/jitsi-meet.cfg.lua with ENABLE_AUTH=1, AUTH_TYPE=internal, ENABLE_GUESTS=1,
-- TURN_HOST=turn.example.org, TURN_TRANSPORT=tcp, TURN_CREDENTIALS set (abridged for Parley's tests)
admins = {
    "focus@auth.meet.jitsi",
    "jvb@auth.meet.jitsi"
}

unlimited_jids = {
    "focus@auth.meet.jitsi",
    "jvb@auth.meet.jitsi"
}

muc_mapper_domain_base = "meet.jitsi";
muc_mapper_domain_prefix = "muc";

http_ports = { 5280 }
http_interfaces = { "*", "::" }

consider_bosh_secure = true;
consider_websocket_secure = true;

smacks_max_unacked_stanzas = 5;
smacks_hibernation_time = 60;
smacks_max_old_sessions = 1;

external_service_secret = "docker-turn-secret";
external_services = {
    { type = "turn", host = "turn.example.org", port = 443, transport = "tcp", secret = true, ttl = 86400, algorithm = "turn" };
};

trusted_proxies = { "127.0.0.1", "::1" }

VirtualHost "meet.jitsi"
    authentication = "internal_hashed"
    ssl = {
        key = "/config/certs/meet.jitsi.key";
        certificate = "/config/certs/meet.jitsi.crt";
    }
    modules_enabled = {
        "bosh";
        "websocket";
        "smacks";
        "speakerstats";
        "conference_duration";
        "room_metadata";
        "end_conference";
        "muc_lobby_rooms";
        "muc_breakout_rooms";
        "av_moderation";
        "external_services";
    }
    main_muc = "muc.meet.jitsi"
    lobby_muc = "lobby.meet.jitsi"
    muc_lobby_whitelist = { "hidden.meet.jitsi" }
    breakout_rooms_muc = "breakout.meet.jitsi"
    room_metadata_component = "metadata.meet.jitsi"
    speakerstats_component = "speakerstats.meet.jitsi"
    conference_duration_component = "conferenceduration.meet.jitsi"
    end_conference_component = "endconference.meet.jitsi"
    av_moderation_component = "avmoderation.meet.jitsi"
    c2s_require_encryption = true

VirtualHost "guest.meet.jitsi"
    authentication = "jitsi-anonymous"
    c2s_require_encryption = true

VirtualHost "auth.meet.jitsi"
    ssl = {
        key = "/config/certs/auth.meet.jitsi.key";
        certificate = "/config/certs/auth.meet.jitsi.crt";
    }
    modules_enabled = {
        "limits_exception";
        "smacks";
    }
    authentication = "internal_hashed"
    smacks_hibernation_time = 15;

Component "internal-muc.meet.jitsi" "muc"
    modules_enabled = {
        "muc_hide_all";
        "muc_filter_access";
        "ping";
    }
    restrict_room_creation = true
    storage = "memory"
    muc_room_cache_size = 1000
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
    muc_room_allow_persistent = false
    muc_filter_whitelist = { "auth.meet.jitsi" }

Component "muc.meet.jitsi" "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
        "muc_hide_all";
        "muc_meeting_id";
        "polls";
        "muc_domain_mapper";
        "muc_password_whitelist";
    }
    muc_room_cache_size = 10000
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
    muc_room_allow_persistent = false
    muc_password_whitelist = {
        "focus@auth.meet.jitsi";
    }

Component "focus.meet.jitsi" "client_proxy"
    target_address = "focus@auth.meet.jitsi"

Component "speakerstats.meet.jitsi" "speakerstats_component"
    muc_component = "muc.meet.jitsi"

Component "conferenceduration.meet.jitsi" "conference_duration_component"
    muc_component = "muc.meet.jitsi"

Component "endconference.meet.jitsi" "end_conference"
    muc_component = "muc.meet.jitsi"

Component "avmoderation.meet.jitsi" "av_moderation_component"
    muc_component = "muc.meet.jitsi"

Component "lobby.meet.jitsi" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_tombstones = false
    muc_room_allow_persistent = false
    muc_room_cache_size = 10000
    muc_room_locking = false
    muc_room_default_public_jids = true
    modules_enabled = {
        "muc_hide_all";
    }

Component "breakout.meet.jitsi" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
    modules_enabled = {
        "muc_hide_all";
        "muc_meeting_id";
        "polls";
    }

Component "metadata.meet.jitsi" "room_metadata_component"
    muc_component = "muc.meet.jitsi"
    breakout_rooms_component = "breakout.meet.jitsi"
