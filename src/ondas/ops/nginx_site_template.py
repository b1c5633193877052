"""The text of the nginx site `ondas deploy nginx` writes (``ops.deploy``
fills it in from Ondas's settings; Django's template language, no autoescape)."""

SITE_TEMPLATE = """\
# nginx site for Ondas, written by `ondas deploy nginx` from Ondas's settings.
# Include it in the http {} block (Debian: /etc/nginx/sites-enabled/ondas).
# Debian's nginx.conf sets worker_connections 768: raise it (and
# worker_rlimit_nofile) for thousands of listeners, see deploy/README.md.

upstream ondas_app {
{% if several %}    # Several `ondas serve` nodes (ONDAS_UPSTREAMS, or --upstream repeated).
    # Open-source nginx has no active health checks (`health_check` is NGINX
    # Plus only) and never asks /readyz: a node is judged by its answers.
    # max_fails failed attempts within fail_timeout (a refused or reset
    # connection, a timeout: what proxy_next_upstream names below) take it
    # out for fail_timeout; then nginx tries it again with a real request.
{% for address in upstreams %}    server {{ address }} max_fails={{ max_fails }} fail_timeout={{ fail_timeout }};
{% endfor %}{% else %}    # The same server twice, on purpose. A worker that ends (a reload, a drain)
    # closes its idle kept-alive connections, and nginx may have just sent a
    # request on one. nginx then retries a GET on the next peer; with a single
    # peer it has none and answers 502. The second line gives it a new
    # connection to the same `ondas serve`.
    server {{ upstreams.0 }} max_fails=0;
    server {{ upstreams.0 }} max_fails=0;
{% endif %}    # Kept-alive connections to `ondas serve`, reused across requests.
    keepalive 32;
    keepalive_requests 10000;
    keepalive_timeout 4s;  # below `ondas serve`'s 5 s, so nginx closes first
}

# The client's X-Request-ID when it sent one, else one nginx makes up; Ondas
# echoes it and logs with it.
map $http_x_request_id $ondas_request_id {
    default $http_x_request_id;
    "" $request_id;
}

# Ondas's answers to "may this listener hear this file", kept by nginx for as
# long as Ondas says (X-Accel-Expires), so a player's next range does not ask
# again. Only yes answers are kept; the directory must be writable by nginx.
proxy_cache_path {{ cache_dir }} levels=1:2 keys_zone=ondas_rights:10m
                 max_size=64m inactive=10m use_temp_path=off;

log_format ondas '$remote_addr - $remote_user [$time_local] "$request" '
                 '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                 '$request_time $upstream_response_time $ondas_request_id '
                 'upstream=$upstream_addr';

# Audio deliveries, one JSON line each, for `ondas analytics ingest` (IAB
# downloads): the same fields `ondas serve` writes for what it sends itself.
# Ondas names the audio and the listener it asked the right for in the
# Ondas-Audio and Ondas-Listener headers of its answers (the rights answer,
# or an X-Accel-Redirect); nginx logs them and never sends them on. This
# log keeps addresses:
# rotate it daily (logrotate), once ingested.
map $upstream_http_ondas_audio $ondas_log_audio {
    "" $ondas_rights_audio;
    default $upstream_http_ondas_audio;
}
map $upstream_http_ondas_listener $ondas_log_listener {
    "" $ondas_rights_listener;
    default $upstream_http_ondas_listener;
}
log_format ondas_audio escape=json
    '{"time":"$time_iso8601","addr":"$remote_addr","method":"$request_method",'
    '"path":"$request_uri","status":$status,"range":"$http_range",'
    '"bytes":$body_bytes_sent,"ua":"$http_user_agent",'
    '"audio":"$ondas_log_audio","listener":"$ondas_log_listener"}';
{% if s3_host %}
# Audio in the S3-compatible bucket (ONDAS_MEDIA_STORAGE=s3): nginx fetches
# the object from the endpoint after Ondas's yes, over kept-alive connections.
upstream ondas_s3 {
    server {{ s3_host }};
    keepalive 16;
}

# The byte range Ondas decided ("-": the whole object), as nginx asks it.
map $ondas_s3_span $ondas_s3_range {
    "-" "";
    default "bytes=$ondas_s3_span";
}
{% endif %}{% if http_listen %}
server {
    listen {{ http_listen }};
    server_name {{ server_name }};
    server_tokens off;
    return 301 https://$host$request_uri;
}
{% endif %}
server {
{% for address in listen %}    listen {{ address }} ssl http2;
{% endfor %}    server_name {{ server_name }};
    server_tokens off;
    access_log {{ access_log }} ondas;
    set $ondas_rights_audio "";
    set $ondas_rights_listener "";
    proxy_hide_header Ondas-Audio;
    proxy_hide_header Ondas-Listener;

    ssl_certificate {{ certificate }};
    ssl_certificate_key {{ certificate_key }};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:ondas_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
    # Kernel TLS: the kernel encrypts, so sendfile stays zero-copy under TLS.
    # Used only where the kernel has it (CONFIG_TLS) and OpenSSL was built
    # with it; `ondas doctor` tells which is the case here.
    ssl_conf_command Options KTLS;

    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    # Bad input stops here: a header block over these limits gets 400/494,
    # a client too slow to send its headers gets 408, before Ondas sees it.
    client_header_timeout 15s;
    client_body_timeout 30s;
    client_header_buffer_size 1k;
    large_client_header_buffers 4 8k;
    client_max_body_size {{ max_body_size }};

    gzip on;
    gzip_vary on;
    gzip_proxied any;
    gzip_min_length 1024;
    gzip_types text/css text/plain text/xml application/javascript
               application/json application/rss+xml application/atom+xml
               application/xml image/svg+xml;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # A request goes to the next peer when connecting fails, the peer breaks
    # the connection or does not answer in time, and only while no byte of
    # the answer has reached the client. nginx (1.9.13 on) never sends a
    # POST, LOCK or PATCH on once the first peer had it (sign-in, checkout,
    # studio forms, tus chunks: the write may have been made), and we keep it
    # so: no `non_idempotent` here. GET, HEAD, PUT, DELETE and OPTIONS may go
    # twice; Ondas's PUTs (progress) keep the latest listening, so a second
    # one changes nothing. No http_502/http_503: Ondas answers 503 for a
    # storage fault that every node shares (the database), and 502 for a
    # remote feed that failed; sending those on would only mark healthy
    # nodes down.
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries {{ next_upstream_tries }};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Request-ID $ondas_request_id;

    location {{ static_url }} {
        alias {{ static_root }}/;
        expires 7d;
        access_log off;
    }

    location {{ media_url }}artwork/ {
        alias {{ media_root }}/artwork/;
        expires 1d;
    }

    # Audio. nginx first asks Ondas whether this listener may hear this file
    # (auth_request); on yes it sends the file itself: Range, If-Range, ETag
    # and HEAD are nginx's static module's, the bytes go out by sendfile.
    # Ondas says how long its yes holds for this file and session
    # (X-Accel-Expires: ONDAS_AUDIO_RIGHTS_TTL; 0 = ask on every request).
    # On no, Ondas answers the request itself: the offer page, its 404, or the
    # bytes by X-Accel-Redirect to the internal location below.
    location ~ "^/audio/(?<ondas_audio>[0-9]+)(?:[.][a-z0-9]{1,5})?$" {
        auth_request /_ondas_rights;
        auth_request_set $ondas_file $upstream_http_x_ondas_file;
        auth_request_set $ondas_cache_control $upstream_http_x_ondas_cache_control;
        auth_request_set $ondas_rights_audio $upstream_http_ondas_audio;
        auth_request_set $ondas_rights_listener $upstream_http_ondas_listener;
        access_log {{ access_log }} ondas;
        access_log {{ audio_log }} ondas_audio;
        error_page 401 403 404 = @ondas;
        root {{ media_root }};
        try_files /$ondas_file =404;
        add_header Cache-Control $ondas_cache_control;
        add_header X-Request-ID $ondas_request_id;
    }

    # The question, as a subrequest: it sees the audio location's variables.
    location = /_ondas_rights {
        internal;
        proxy_pass http://ondas_app/audio/$ondas_audio/rights;
        proxy_pass_request_body off;
        # A proxy_set_header here replaces the server's: all of them again.
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $ondas_request_id;
        proxy_set_header Content-Length "";
        proxy_set_header Range "";
        proxy_set_header If-Range "";
        proxy_set_header If-None-Match "";
        proxy_set_header If-Modified-Since "";
        proxy_cache ondas_rights;
        proxy_cache_key "$ondas_audio $cookie_{{ session_cookie }}";
        proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
        # Kept answers are small files: keep them open between requests
        # rather than opening one for every range a player asks for.
        open_file_cache max=10000 inactive=30s;
        open_file_cache_valid 2s;
    }

    location @ondas {
        proxy_pass http://ondas_app;
        access_log {{ access_log }} ondas;
        access_log {{ audio_log }} ondas_audio;
    }

    # Private feeds' enclosures: Ondas checks the key, nginx sends the bytes
    # (X-Accel-Redirect below); logged as audio deliveries.
    location ~ "^/audio/[0-9]+/k/" {
        proxy_pass http://ondas_app;
        access_log {{ access_log }} ondas;
        access_log {{ audio_log }} ondas_audio;
    }

    # The rights question is nginx's own: from outside it does not exist.
    location ~ "^/audio/[0-9]+/rights$" {
        internal;
    }

    # Audio bytes by X-Accel-Redirect from Ondas, never by a client's URL;
    # the Cache-Control and Content-Type Ondas chose come along.
    location ^~ {{ accel_prefix }} {
        internal;
        alias {{ media_root }}/;
        add_header X-Request-ID $ondas_request_id;
        access_log {{ access_log }} ondas;
        access_log {{ audio_log }} ondas_audio;
    }

{% if s3_host %}    # Audio in the bucket, by X-Accel-Redirect from Ondas after its yes (the
    # audio view asks on every request). The path names the audio and the
    # listener (for the delivery log), the byte range Ondas decided, and the
    # path and query of a request Ondas presigned for a minute, which nginx
    # sends to the endpoint as it is. The client never sees the endpoint,
    # the bucket or the signature; its validators were answered by Ondas.
    location ~ "^{{ s3_accel_prefix }}(?<ondas_s3_audio>[0-9]+)/l(?<ondas_s3_listener>[0-9]*)/(?<ondas_s3_span>-|[0-9]+-[0-9]+)(?<ondas_s3_object>/.+)$" {
        internal;
        set $ondas_rights_audio $ondas_s3_audio;
        set $ondas_rights_listener $ondas_s3_listener;
        rewrite ^ $ondas_s3_object break;
        proxy_pass {{ s3_scheme }}://ondas_s3;
{% if s3_scheme == "https" %}        proxy_ssl_server_name on;
        proxy_ssl_name {{ s3_hostname }};
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;
{% endif %}        # Only what the signature covers, and the range: no cookie, no
        # credentials, no validators of the client's reach the endpoint.
        proxy_pass_request_headers off;
        proxy_set_header Host {{ s3_host }};
        proxy_set_header Connection "";
        proxy_set_header Range $ondas_s3_range;
        # What the store says about itself stays here.
        proxy_hide_header x-amz-request-id;
        proxy_hide_header x-amz-id-2;
        proxy_hide_header x-amz-version-id;
        proxy_hide_header x-amz-server-side-encryption;
        proxy_hide_header x-amz-storage-class;
        proxy_hide_header x-amz-content-sha256;
        proxy_hide_header x-amz-sdk-checksum-algorithm;
        proxy_hide_header x-amz-checksum-crc32;
        proxy_hide_header x-amzn-requestid;
        proxy_hide_header Access-Control-Allow-Origin;
        proxy_hide_header Set-Cookie;
        proxy_buffering off;
        # An endpoint's error page names the bucket: the client gets none.
        proxy_intercept_errors on;
        error_page 403 404 = @ondas_s3_missing;
        error_page 400 412 416 500 502 503 504 = @ondas_s3_failed;
        add_header X-Request-ID $ondas_request_id;
        access_log {{ access_log }} ondas;
        access_log {{ audio_log }} ondas_audio;
    }

    location @ondas_s3_missing {
        return 404;
    }

    location @ondas_s3_failed {
        return 502;
    }

{% endif %}    # Feeds rendered to files (feeds.files), sent by X-Accel-Redirect after
    # Ondas checked the request and answered 304s itself: nginx sends the
    # .gz beside the file to clients that take it, with Ondas's validator.
    location ^~ {{ accel_prefix }}feeds/ {
        internal;
        alias {{ media_root }}/feeds/;
        gzip_static on;
        etag off;
        add_header ETag $upstream_http_etag;
        add_header X-Robots-Tag $upstream_http_x_robots_tag;
        add_header X-Request-ID $ondas_request_id;
    }

    # Operations endpoints: for this machine only (monitoring, load balancer
    # probes through a local agent).
{% if metrics_token %}    location ~ ^/(healthz|readyz)$ {
        allow 127.0.0.1;
        allow ::1;
        deny all;
        proxy_pass http://ondas_app;
    }

    # ONDAS_METRICS_TOKEN is set: Ondas answers /metrics only to a scrape
    # with `Authorization: Bearer <token>`, from anywhere (404 otherwise).
    location = /metrics {
        proxy_pass http://ondas_app;
    }
{% else %}    # Ondas sees every request nginx forwards as coming from 127.0.0.1, so
    # this rule is what keeps /metrics private (or set ONDAS_METRICS_TOKEN).
    location ~ ^/(healthz|readyz|metrics)$ {
        allow 127.0.0.1;
        allow ::1;
        deny all;
        proxy_pass http://ondas_app;
    }
{% endif %}
    # Studio uploads (tus PATCH chunks, or one small file by form post) go to
    # Ondas as they arrive instead of being spooled to nginx's disk first: the
    # upload's offset moves while the creator sends, and a dropped link keeps
    # what came before it. Ondas enforces ONDAS_UPLOAD_MAX_BYTES itself (413).
    location ^~ /studio/uploads/ {
        proxy_request_buffering off;
        client_max_body_size {{ upload_max_bytes }};
        client_body_timeout 120s;
        proxy_read_timeout 300s;
        proxy_pass http://ondas_app;
    }

    location / {
        proxy_pass http://ondas_app;
    }
}
"""
