/**
 * The nginx configuration that puts several Live Feeds instances behind one address, with the
 * settings SSE needs (docs/deploy.md explains each). Used by `npm run cluster` and the tests.
 */

/**
 * @typedef {object} NginxConfOptions
 * @property {number} port Port nginx listens on (127.0.0.1).
 * @property {string[]} upstreams `host:port` of every instance.
 * @property {string} dir Directory for the pid file, the logs and the temp paths.
 * @property {number} [readTimeoutS] proxy_read_timeout in seconds, above the heartbeat. Default 60.
 */

/**
 * The text of a complete nginx.conf (`daemon off;`, everything under `dir`).
 * @param {NginxConfOptions} options
 * @returns {string}
 */
export function nginxConf({ port, upstreams, dir, readTimeoutS = 60 }) {
	const servers = upstreams.map((u) => `\t\tserver ${u} max_fails=1 fail_timeout=2s;`).join('\n');
	return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path ${dir}/client_body;
	proxy_temp_path ${dir}/proxy;
	fastcgi_temp_path ${dir}/fastcgi;
	uwsgi_temp_path ${dir}/uwsgi;
	scgi_temp_path ${dir}/scgi;
	upstream live_feeds {
${servers}
		keepalive 16;
	}
	server {
		listen 127.0.0.1:${port};
		location / {
			proxy_pass http://live_feeds;
			proxy_http_version 1.1;
			proxy_set_header Connection '';
			proxy_set_header Host $host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_buffering off;
			proxy_cache off;
			proxy_read_timeout ${readTimeoutS}s;
			proxy_next_upstream error timeout;
			proxy_connect_timeout 2s;
		}
	}
}
`;
}
