-- meet.example.org, in the shape jitsi-meet-prosody writes it
plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }

-- the domain mapper needs the base domain
muc_mapper_domain_base = "meet.example.org";

external_service_secret = "turn-shared-secret-123";
external_services = {
     { type = "stun", host = "meet.example.org", port = 3478 },
     { type = "turn", host = "meet.example.org", port = 3478, transport = "udp", secret = true, ttl = 86400, algorithm = "turn" },
     { type = "turns", host = "meet.example.org", port = 5349, transport = "tcp", secret = true, ttl = 86400, algorithm = "turn" }
};

cross_domain_bosh = false;
consider_bosh_secure = true;
consider_websocket_secure = true;
https_ports = { }; -- no 5281: nginx serves https

unlimited_jids = {
    "focus@auth.meet.example.org",
    "jvb@auth.meet.example.org"
}

-- Mozilla's intermediate TLS profile
ssl = {
    protocol = "tlsv1_2+";
    ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
}

-- we need this for prosody 13
component_admins_as_room_owners = true

VirtualHost "meet.example.org"
    authentication = "jitsi-anonymous" -- do not delete me
    -- app_id = "example_app_id"
    -- app_secret = "example_app_secret"
    ssl = {
        key = "/etc/prosody/certs/meet.example.org.key";
        certificate = "/etc/prosody/certs/meet.example.org.crt";
    }
    av_moderation_component = "avmoderation.meet.example.org"
    speakerstats_component = "speakerstats.meet.example.org"
    conference_duration_component = "conferenceduration.meet.example.org"
    end_conference_component = "endconference.meet.example.org"
    modules_enabled = {
        "bosh";
        "websocket";
        "smacks";
        "pubsub";
        "ping";
        "speakerstats";
        "external_services";
        "conference_duration";
        "end_conference";
        "muc_lobby_rooms";
        "muc_breakout_rooms";
        "av_moderation";
        "room_metadata";
    }
    c2s_require_encryption = false
    lobby_muc = "lobby.meet.example.org"
    breakout_rooms_muc = "breakout.meet.example.org"
    room_metadata_component = "metadata.meet.example.org"
    main_muc = "conference.meet.example.org"
    -- muc_lobby_whitelist = { "recorder.meet.example.org" }
    smacks_max_unacked_stanzas = 5
    smacks_hibernation_time = 60

Component "conference.meet.example.org" "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
        "muc_hide_all";
        "muc_meeting_id";
        "muc_domain_mapper";
        "polls";
        --"token_verification";
        "muc_rate_limit";
        "muc_password_whitelist";
    }
    admins = { "focus@auth.meet.example.org" }
    muc_password_whitelist = {
        "focus@auth.meet.example.org"
    }
    muc_room_locking = false
    muc_room_default_public_jids = true

-- internal muc component
Component "internal.auth.meet.example.org" "muc"
    storage = "memory"
    modules_enabled = {
        "muc_hide_all";
        "ping";
    }
    admins = { "focus@auth.meet.example.org", "jvb@auth.meet.example.org" }
    muc_room_locking = false
    muc_room_default_public_jids = true

VirtualHost "auth.meet.example.org"
    modules_enabled = {
        "limits_exception";
        "smacks";
    }
    authentication = "internal_hashed"
    smacks_hibernation_time = 15;

-- Proxy to jicofo's user JID, so that it doesn't have to register as a component.
Component "focus.meet.example.org" "client_proxy"
    target_address = "focus@auth.meet.example.org"

Component "speakerstats.meet.example.org" "speakerstats_component"
    muc_component = "conference.meet.example.org"

Component "conferenceduration.meet.example.org" "conference_duration_component"
    muc_component = "conference.meet.example.org"

Component "endconference.meet.example.org" "end_conference"
    muc_component = "conference.meet.example.org"

Component "avmoderation.meet.example.org" "av_moderation_component"
    muc_component = "conference.meet.example.org"

Component "lobby.meet.example.org" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_tombstones = false
    muc_room_allow_persistent = false
    muc_room_cache_size = 1000
    muc_room_locking = false
    muc_room_default_public_jids = true
    modules_enabled = {
        "muc_hide_all";
    }

Component "breakout.meet.example.org" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
    modules_enabled = {
        "muc_hide_all";
        "muc_meeting_id";
        "polls";
    }

Component "metadata.meet.example.org" "room_metadata_component"
    muc_component = "conference.meet.example.org"
    breakout_rooms_component = "breakout.meet.example.org"
