-- /config/prosody.cfg.lua as docker-jitsi-meet's prosody image renders it (abridged for Parley's tests)
admins = { }

component_admins_as_room_owners = true

plugin_paths = { "/prosody-plugins/", "/prosody-plugins-custom", "/prosody-plugins-contrib" }
http_default_host = "meet.jitsi"

-- garbage collector (GC_TYPE=incremental)
gc = {
    mode = "incremental";
    threshold = 400;
    speed = 250;
    step_size = 13;
}

network_settings = {
    tcp_backlog = 511;
}

modules_enabled = {
    "roster";
    "saslauth";
    "tls";
    "disco";
    "posix";
    "limits";
    "ping";
    "http_health";
    "http_openmetrics";
}

modules_disabled = {
    "offline";
    "register";
    "s2s";
}

allow_registration = false;

c2s_require_encryption = true

authentication = "internal_hashed"

limits = {
    c2s = {
        rate = "10kb/s";
    };
    s2sin = {
        rate = "30kb/s";
    };
}

log = {
    { levels = { min = "info" }, timestamps = "%Y-%m-%d %X", to = "console" };
}

-- PROSODY_ENABLE_METRICS=1
statistics = "internal"
statistics_interval = "manual"
openmetrics_allow_cidr = "172.16.0.0/12"

data_path = "/config/data"

Include "conf.d/*.cfg.lua"
