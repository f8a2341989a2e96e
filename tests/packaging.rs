//! The packaging files parse, and agree with each other and with the binary: the container
//! image (`Dockerfile`, `.dockerignore`), the multi-instance example
//! (`deploy/docker-compose.yml`, `deploy/nginx.conf`) and the systemd unit
//! (`deploy/rollcall.service`). Each file is read the way its tool reads it, closely enough to
//! catch a renamed service, a lost `USER`, a health check that no longer runs
//! `rollcall healthcheck` or a trusted-proxy list that misses the proxy. Nothing is built or
//! started (docs/operations.md, "Packaging: container, compose, systemd").

use saphyr::{LoadableYamlNode, Yaml};
use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

type TestResult<T = ()> = Result<T, Box<dyn Error>>;

/// The two Rollcall services of the compose file.
const INSTANCES: [&str; 2] = ["rollcall-1", "rollcall-2"];
/// The Rollcall body limit (api.md: 64 KiB).
const BODY_LIMIT: u64 = 64 * 1024;
/// `rollcall healthcheck`'s own default timeout, in seconds.
const HEALTHCHECK_COMMAND_TIMEOUT: f64 = 5.0;
/// Rollcall's default `shutdown_timeout`, in seconds.
const SHUTDOWN_TIMEOUT: f64 = 30.0;

// --- Files ---------------------------------------------------------------------------------

/// The repository root (the parent of `tests/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file of the repository, by its path from the root.
fn read(path: &str) -> TestResult<String> {
    std::fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}").into())
}

/// `path` with `.` and `..` resolved against the file system.
fn canonical(path: &Path) -> TestResult<PathBuf> {
    path.canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()).into())
}

// --- Small parsers shared by the checks ----------------------------------------------------

/// A duration as Docker, Compose and systemd write them: `30s`, `1m30s`, `500ms`, `2h`, or a
/// bare number of seconds.
fn seconds(text: &str) -> TestResult<f64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<f64>() {
        return Ok(n);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("duration {text:?}: a number without a unit"))?;
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let number: f64 = number
            .parse()
            .map_err(|_| format!("duration {text:?}: no number before {unit:?}"))?;
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return Err(format!("duration {text:?}: unknown unit {unit:?}").into()),
        };
        total += number * scale;
        rest = next;
    }
    Ok(total)
}

/// The port of a `host:port` address.
fn port_of(address: &str) -> TestResult<u16> {
    let (_, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{address:?} has no port"))?;
    port.parse()
        .map_err(|_| format!("{address:?}: bad port").into())
}

/// The filesystem path of a `sqlite://PATH` URL, which must be absolute (`sqlite:///…`).
fn absolute_sqlite_path(url: &str) -> TestResult<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .ok_or_else(|| format!("{url:?} is not a sqlite:// URL"))?;
    if !path.starts_with('/') {
        return Err(format!(
            "{url:?} names a path relative to the working directory; an absolute path takes \
             three slashes (sqlite:///var/lib/…)"
        )
        .into());
    }
    Ok(PathBuf::from(path))
}

/// An IPv4 network (`10.0.0.0/8`) or a single address (a /32).
#[derive(Debug, Clone, Copy)]
struct Ipv4Net {
    base: u32,
    prefix: u32,
}

impl Ipv4Net {
    fn parse(text: &str) -> TestResult<Self> {
        let (address, prefix) = text.trim().split_once('/').unwrap_or((text.trim(), "32"));
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IPv4 address or network"))?;
        let prefix: u32 = prefix
            .parse()
            .map_err(|_| format!("{text:?}: bad prefix length"))?;
        if prefix > 32 {
            return Err(format!("{text:?}: prefix longer than 32").into());
        }
        Ok(Self {
            base: u32::from(address),
            prefix,
        })
    }

    fn mask(self) -> u32 {
        u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0)
    }

    fn contains(self, address: Ipv4Addr) -> bool {
        (u32::from(address) & self.mask()) == (self.base & self.mask())
    }

    /// The first host address, which Docker gives the network's gateway unless told otherwise.
    fn first_host(self) -> Ipv4Addr {
        Ipv4Addr::from((self.base & self.mask()) + 1)
    }
}

// --- deploy/docker-compose.yml -------------------------------------------------------------

/// The one YAML document in `text`.
fn load_yaml(text: &str) -> TestResult<Yaml<'_>> {
    let mut documents = Yaml::load_from_str(text).map_err(|e| format!("YAML: {e}"))?;
    if documents.len() != 1 {
        return Err(format!("expected one YAML document, found {}", documents.len()).into());
    }
    documents.pop().ok_or_else(|| "no YAML document".into())
}

/// `node[key]`, which must exist.
fn field<'a, 'input>(node: &'a Yaml<'input>, key: &str) -> TestResult<&'a Yaml<'input>> {
    node.as_mapping_get(key)
        .ok_or_else(|| format!("no key {key:?}").into())
}

/// A scalar as Compose reads it: strings, numbers and booleans as their text.
fn scalar(node: &Yaml<'_>) -> TestResult<String> {
    if let Some(s) = node.as_str() {
        return Ok(s.to_owned());
    }
    if let Some(n) = node.as_integer() {
        return Ok(n.to_string());
    }
    if let Some(b) = node.as_bool() {
        return Ok(b.to_string());
    }
    if let Some(f) = node.as_floating_point() {
        return Ok(f.to_string());
    }
    Err(format!("expected a scalar, found {node:?}").into())
}

/// A list of scalars.
fn scalars(node: &Yaml<'_>) -> TestResult<Vec<String>> {
    node.as_vec()
        .ok_or_else(|| format!("expected a list, found {node:?}"))?
        .iter()
        .map(scalar)
        .collect()
}

/// The keys of a mapping.
fn keys(node: &Yaml<'_>) -> TestResult<Vec<String>> {
    node.as_mapping()
        .ok_or_else(|| format!("expected a mapping, found {node:?}"))?
        .keys()
        .map(scalar)
        .collect()
}

/// A service's `environment`, in either of Compose's forms (a mapping, or `KEY=value` items).
fn environment(service: &Yaml<'_>) -> TestResult<BTreeMap<String, String>> {
    let Some(node) = service.as_mapping_get("environment") else {
        return Ok(BTreeMap::new());
    };
    if let Some(mapping) = node.as_mapping() {
        return mapping
            .iter()
            .map(|(k, v)| {
                let value = if v.is_null() {
                    String::new()
                } else {
                    scalar(v)?
                };
                Ok((scalar(k)?, value))
            })
            .collect();
    }
    scalars(node)?
        .into_iter()
        .map(|item| {
            let (k, v) = item.split_once('=').unwrap_or((item.as_str(), ""));
            Ok((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The `condition` a service waits for on `dependency` (`depends_on`, long form).
fn dependency_condition(service: &Yaml<'_>, dependency: &str) -> TestResult<String> {
    let depends_on = field(service, "depends_on")?;
    let entry = field(depends_on, dependency)
        .map_err(|_| format!("depends_on does not name {dependency} (in the long form)"))?;
    scalar(field(entry, "condition")?)
}

/// The container ports a service publishes (short `HOST:CONTAINER` or long form).
fn published_container_ports(service: &Yaml<'_>) -> TestResult<Vec<u16>> {
    let Some(ports) = service.as_mapping_get("ports") else {
        return Ok(Vec::new());
    };
    let items = ports
        .as_vec()
        .ok_or_else(|| format!("ports: expected a list, found {ports:?}"))?;
    items
        .iter()
        .map(|item| {
            if item.is_mapping() {
                return Ok(scalar(field(item, "target")?)?.parse()?);
            }
            let text = scalar(item)?;
            if !text.contains(':') {
                return Err(format!("port {text:?} publishes no host port").into());
            }
            let container = text.rsplit(':').next().unwrap_or_default();
            let container = container.split('/').next().unwrap_or_default();
            Ok(container.parse()?)
        })
        .collect()
}

/// The host of a PostgreSQL URL, as the driver reads it (the user-info ends at the last `@`
/// of the authority here, as no password in the file holds one).
fn postgres_host(url: &str) -> TestResult<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or_else(|| format!("{url:?} is not a PostgreSQL URL"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Ok(host_port.split(':').next().unwrap_or_default().to_owned())
}

/// The user and the database name of a PostgreSQL URL.
fn postgres_user_and_database(url: &str) -> TestResult<(String, String)> {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{url:?} has no scheme"))?;
    let (authority, path) = rest
        .split_once('/')
        .ok_or_else(|| format!("{url:?} names no database"))?;
    let user_info = authority
        .rsplit_once('@')
        .map(|(u, _)| u)
        .ok_or_else(|| format!("{url:?} names no user"))?;
    let user = user_info.split(':').next().unwrap_or_default();
    let database = path.split('?').next().unwrap_or_default();
    Ok((user.to_owned(), database.to_owned()))
}

#[test]
fn compose_names_the_database_the_two_instances_and_the_proxy() -> TestResult {
    let text = read("deploy/docker-compose.yml")?;
    let doc = load_yaml(&text)?;
    let services = field(&doc, "services")?;
    let names = keys(services)?;
    for expected in ["postgres", "rollcall-1", "rollcall-2", "proxy"] {
        assert!(
            names.iter().any(|n| n == expected),
            "no service {expected:?} in {names:?}"
        );
    }

    let postgres = field(services, "postgres")?;
    let image = scalar(field(postgres, "image")?)?;
    assert!(image.starts_with("postgres:15"), "postgres runs {image:?}");
    let test = scalars(field(field(postgres, "healthcheck")?, "test")?)?;
    assert!(
        test.iter().any(|t| t.contains("pg_isready")),
        "the postgres health check does not run pg_isready: {test:?}"
    );
    // Its data in a named volume declared at the top level.
    let declared = keys(field(&doc, "volumes")?)?;
    let volumes = scalars(field(postgres, "volumes")?)?;
    assert!(
        volumes.iter().any(|v| {
            v.split_once(':').is_some_and(|(source, target)| {
                declared.iter().any(|d| d == source)
                    && target.trim_end_matches(":rw") == "/var/lib/postgresql/data"
            })
        }),
        "PostgreSQL's data directory is not in a named volume ({volumes:?}, declared {declared:?})"
    );

    let proxy_image = scalar(field(field(services, "proxy")?, "image")?)?;
    assert!(
        proxy_image.starts_with("nginx:"),
        "the proxy runs {proxy_image:?}"
    );
    Ok(())
}

#[test]
fn both_instances_share_one_postgres_database_and_wait_for_it() -> TestResult {
    let text = read("deploy/docker-compose.yml")?;
    let doc = load_yaml(&text)?;
    let services = field(&doc, "services")?;
    let postgres_env = environment(field(services, "postgres")?)?;
    let dockerfile = canonical(&root().join("Dockerfile"))?;

    let mut environments = Vec::new();
    for name in INSTANCES {
        let service = field(services, name)?;

        // Built from the repository's Dockerfile.
        let build = field(service, "build")?;
        let (context, file) = if build.is_mapping() {
            let file = build
                .as_mapping_get("dockerfile")
                .map(scalar)
                .transpose()?
                .unwrap_or_else(|| "Dockerfile".to_owned());
            (scalar(field(build, "context")?)?, file)
        } else {
            (scalar(build)?, "Dockerfile".to_owned())
        };
        let built_from = canonical(&root().join("deploy").join(context).join(file))?;
        assert_eq!(
            built_from, dockerfile,
            "{name} is not built from the Dockerfile"
        );

        let env = environment(service)?;
        let url = env
            .get("ROLLCALL_DATABASE_URL")
            .ok_or_else(|| format!("{name} sets no ROLLCALL_DATABASE_URL"))?;
        assert_eq!(postgres_host(url)?, "postgres", "{name}'s database host");
        let (user, database) = postgres_user_and_database(url)?;
        assert_eq!(
            Some(&user),
            postgres_env.get("POSTGRES_USER"),
            "{name}'s user"
        );
        assert_eq!(
            Some(&database),
            postgres_env.get("POSTGRES_DB"),
            "{name}'s database"
        );
        let password = env
            .get("ROLLCALL_ADMIN_PASSWORD")
            .ok_or_else(|| format!("{name} sets no ROLLCALL_ADMIN_PASSWORD"))?;
        assert!(
            password.starts_with("${ROLLCALL_ADMIN_PASSWORD:?") && password.ends_with('}'),
            "{name}: ROLLCALL_ADMIN_PASSWORD must be a required substitution, not {password:?}"
        );
        let bind = env
            .get("ROLLCALL_BIND")
            .ok_or_else(|| format!("{name} sets no ROLLCALL_BIND"))?;
        assert!(bind.starts_with("0.0.0.0:"), "{name} binds {bind:?}");

        assert_eq!(
            dependency_condition(service, "postgres")?,
            "service_healthy",
            "{name} must wait for a healthy PostgreSQL"
        );
        assert_eq!(
            published_container_ports(service)?,
            Vec::<u16>::new(),
            "{name} must be reached through the proxy only"
        );
        let grace = seconds(&scalar(field(service, "stop_grace_period")?)?)?;
        assert!(
            grace > SHUTDOWN_TIMEOUT,
            "{name}: stop_grace_period {grace} s would kill it before it drains"
        );
        environments.push(env);
    }
    // docs/operations.md: every instance gets the same settings.
    assert_eq!(
        environments[0], environments[1],
        "the instances' environments differ"
    );
    Ok(())
}

#[test]
fn the_proxy_publishes_a_port_and_is_the_one_trusted_proxy() -> TestResult {
    let text = read("deploy/docker-compose.yml")?;
    let doc = load_yaml(&text)?;
    let services = field(&doc, "services")?;
    let proxy = field(services, "proxy")?;

    assert!(
        !published_container_ports(proxy)?.is_empty(),
        "the proxy publishes no port"
    );
    for instance in INSTANCES {
        assert_eq!(
            dependency_condition(proxy, instance)?,
            "service_healthy",
            "the proxy must start after {instance} is healthy"
        );
    }

    // The configuration is deploy/nginx.conf, mounted read-only over nginx's own.
    let volumes = scalars(field(proxy, "volumes")?)?;
    let config = volumes
        .iter()
        .find(|v| v.split(':').nth(1) == Some("/etc/nginx/nginx.conf"))
        .ok_or_else(|| format!("nothing is mounted on /etc/nginx/nginx.conf: {volumes:?}"))?;
    let parts: Vec<&str> = config.split(':').collect();
    assert_eq!(parts.get(2), Some(&"ro"), "{config:?} is not read-only");
    assert_eq!(
        canonical(&root().join("deploy").join(parts[0]))?,
        canonical(&root().join("deploy/nginx.conf"))?,
        "the proxy does not mount deploy/nginx.conf"
    );

    // The proxy's fixed address lies in its network's subnet and outside the range handed
    // out to the other containers.
    let networks = field(proxy, "networks")?;
    let network_names = keys(networks)?;
    let [network_name] = network_names.as_slice() else {
        return Err(format!("the proxy should be on one network, not {network_names:?}").into());
    };
    let proxy_address: Ipv4Addr = scalar(field(field(networks, network_name)?, "ipv4_address")?)?
        .parse()
        .map_err(|_| "the proxy's ipv4_address is not an IPv4 address")?;
    let ipam = field(field(field(&doc, "networks")?, network_name)?, "ipam")?;
    let pools = field(ipam, "config")?
        .as_vec()
        .ok_or("ipam.config is not a list")?;
    let pool = pools.first().ok_or("ipam.config is empty")?;
    let subnet = Ipv4Net::parse(&scalar(field(pool, "subnet")?)?)?;
    assert!(
        subnet.contains(proxy_address),
        "the proxy's {proxy_address} is outside its network"
    );
    if let Some(range) = pool.as_mapping_get("ip_range") {
        assert!(
            !Ipv4Net::parse(&scalar(range)?)?.contains(proxy_address),
            "the proxy's {proxy_address} is inside ip_range, so another container may get it"
        );
    }
    let gateway = match pool.as_mapping_get("gateway") {
        Some(g) => scalar(g)?.parse()?,
        None => subnet.first_host(),
    };

    // Each instance is on that network and trusts the proxy's X-Forwarded-For, and not the
    // gateway's (the Docker host's, through which published ports may be reached).
    for instance in INSTANCES {
        let service = field(services, instance)?;
        let on = field(service, "networks")?;
        let on = if on.is_mapping() {
            keys(on)?
        } else {
            scalars(on)?
        };
        assert!(
            on.contains(network_name),
            "{instance} is not on {network_name}"
        );
        let trusted = environment(service)?
            .get("ROLLCALL_TRUSTED_PROXIES")
            .cloned()
            .ok_or_else(|| format!("{instance} sets no ROLLCALL_TRUSTED_PROXIES"))?;
        let trusted = trusted
            .split(',')
            .map(Ipv4Net::parse)
            .collect::<TestResult<Vec<_>>>()?;
        assert!(
            trusted.iter().any(|net| net.contains(proxy_address)),
            "{instance} does not trust the proxy's {proxy_address}"
        );
        assert!(
            !trusted.iter().any(|net| net.contains(gateway)),
            "{instance} trusts the gateway {gateway}: anyone reaching a published port \
             through it could choose their X-Forwarded-For address"
        );
    }
    Ok(())
}

// --- deploy/nginx.conf ---------------------------------------------------------------------

/// One nginx directive: `name args…;` or `name args… { … }`.
#[derive(Debug)]
struct Directive {
    name: String,
    args: Vec<String>,
    block: Option<Vec<Directive>>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Semicolon,
    Open,
    Close,
}

fn nginx_tokens(text: &str) -> TestResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            ';' | '{' | '}' => {
                chars.next();
                tokens.push(match c {
                    ';' => Token::Semicolon,
                    '{' => Token::Open,
                    _ => Token::Close,
                });
            }
            '"' | '\'' => {
                chars.next();
                let mut word = String::new();
                loop {
                    match chars.next() {
                        None => return Err("nginx.conf: unterminated quoted string".into()),
                        Some('\\') => word.extend(chars.next()),
                        Some(q) if q == c => break,
                        Some(other) => word.push(other),
                    }
                }
                tokens.push(Token::Word(word));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, ';' | '{' | '}') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn nginx_block(tokens: &[Token], at: &mut usize, nested: bool) -> TestResult<Vec<Directive>> {
    let mut directives = Vec::new();
    let mut words: Vec<String> = Vec::new();
    while let Some(token) = tokens.get(*at) {
        *at += 1;
        match token {
            Token::Word(w) => words.push(w.clone()),
            Token::Semicolon | Token::Open => {
                let mut words_iter = std::mem::take(&mut words).into_iter();
                let name = words_iter
                    .next()
                    .ok_or("nginx.conf: a ';' or '{' without a directive")?;
                let block = if *token == Token::Open {
                    Some(nginx_block(tokens, at, true)?)
                } else {
                    None
                };
                directives.push(Directive {
                    name,
                    args: words_iter.collect(),
                    block,
                });
            }
            Token::Close => {
                if !nested {
                    return Err("nginx.conf: a '}' closes nothing".into());
                }
                if !words.is_empty() {
                    return Err(format!("nginx.conf: {words:?} lacks its ';'").into());
                }
                return Ok(directives);
            }
        }
    }
    if nested {
        return Err("nginx.conf: a block is not closed".into());
    }
    if !words.is_empty() {
        return Err(format!("nginx.conf: {words:?} lacks its ';'").into());
    }
    Ok(directives)
}

/// The directives nginx.conf may use, with how many arguments each takes and whether it is
/// a block (`None`: either, as `server` in `http` and in `upstream`). Like `nginx -t`, the
/// check refuses any other name, so a typo or a lost `;` (which glues two directives into
/// one) fails here; add a directive to this table when the configuration starts using it.
const NGINX_DIRECTIVES: [(&str, usize, usize, Option<bool>); 37] = [
    ("access_log", 1, 4, Some(false)),
    ("client_body_buffer_size", 1, 1, Some(false)),
    ("client_body_timeout", 1, 1, Some(false)),
    ("client_header_timeout", 1, 1, Some(false)),
    ("client_max_body_size", 1, 1, Some(false)),
    ("default_type", 1, 1, Some(false)),
    ("error_log", 1, 2, Some(false)),
    ("events", 0, 0, Some(true)),
    ("http", 0, 0, Some(true)),
    ("include", 1, 1, Some(false)),
    ("keepalive", 1, 1, Some(false)),
    ("keepalive_requests", 1, 1, Some(false)),
    ("keepalive_timeout", 1, 2, Some(false)),
    ("limit_conn", 2, 2, Some(false)),
    ("limit_conn_zone", 2, 2, Some(false)),
    ("limit_req", 1, 3, Some(false)),
    ("limit_req_zone", 3, 4, Some(false)),
    ("listen", 1, 12, Some(false)),
    ("location", 1, 2, Some(true)),
    ("log_format", 2, 64, Some(false)),
    ("pid", 1, 1, Some(false)),
    ("proxy_buffering", 1, 1, Some(false)),
    ("proxy_connect_timeout", 1, 1, Some(false)),
    ("proxy_http_version", 1, 1, Some(false)),
    ("proxy_next_upstream", 1, 12, Some(false)),
    ("proxy_pass", 1, 1, Some(false)),
    ("proxy_read_timeout", 1, 1, Some(false)),
    ("proxy_request_buffering", 1, 1, Some(false)),
    ("proxy_send_timeout", 1, 1, Some(false)),
    ("proxy_set_header", 2, 2, Some(false)),
    ("resolver", 1, 12, Some(false)),
    ("server", 0, 12, None),
    ("server_name", 1, 64, Some(false)),
    ("server_tokens", 1, 1, Some(false)),
    ("upstream", 1, 1, Some(true)),
    ("worker_connections", 1, 1, Some(false)),
    ("worker_processes", 1, 1, Some(false)),
];

fn check_nginx(block: &[Directive]) -> TestResult {
    for directive in block {
        let name = directive.name.as_str();
        let &(_, min, max, is_block) =
            NGINX_DIRECTIVES
                .iter()
                .find(|(known, ..)| *known == name)
                .ok_or_else(|| format!("nginx.conf: unknown directive {name:?}"))?;
        let count = directive.args.len();
        if !(min..=max).contains(&count) {
            return Err(format!(
                "nginx.conf: {name} takes {min} to {max} arguments, not {count}: {:?}",
                directive.args
            )
            .into());
        }
        if is_block.is_some_and(|b| b != directive.block.is_some()) {
            return Err(format!("nginx.conf: {name} is misused as a block or a directive").into());
        }
        if let Some(inner) = &directive.block {
            check_nginx(inner)?;
        }
    }
    Ok(())
}

fn parse_nginx(text: &str) -> TestResult<Vec<Directive>> {
    let config = nginx_block(&nginx_tokens(text)?, &mut 0, false)?;
    check_nginx(&config)?;
    Ok(config)
}

/// The directives `name` of `block`, in order.
fn directives<'a>(block: &'a [Directive], name: &str) -> Vec<&'a Directive> {
    block.iter().filter(|d| d.name == name).collect()
}

/// The one block directive `name` (with these leading arguments) in `block`.
fn one_block<'a>(block: &'a [Directive], name: &str, args: &[&str]) -> TestResult<&'a [Directive]> {
    let mut found = directives(block, name)
        .into_iter()
        .filter(|d| d.args.len() >= args.len() && d.args.iter().zip(args).all(|(a, b)| a == b));
    let first = found
        .next()
        .ok_or_else(|| format!("nginx.conf: no `{name} {}` block", args.join(" ")))?;
    if found.next().is_some() {
        return Err(format!(
            "nginx.conf: more than one `{name} {}` block",
            args.join(" ")
        )
        .into());
    }
    first
        .block
        .as_deref()
        .ok_or_else(|| format!("nginx.conf: `{name}` is not a block").into())
}

/// The single argument of the last `name` directive in `block`.
fn value<'a>(block: &'a [Directive], name: &str) -> Option<&'a str> {
    directives(block, name)
        .into_iter()
        .last()
        .and_then(|d| d.args.first())
        .map(String::as_str)
}

/// An nginx size: `80k`, `1m`, or bytes.
fn nginx_size(text: &str) -> TestResult<u64> {
    let lower = text.to_ascii_lowercase();
    let (digits, scale) = match lower.as_bytes().last() {
        Some(b'k') => (&lower[..lower.len() - 1], 1024),
        Some(b'm') => (&lower[..lower.len() - 1], 1024 * 1024),
        Some(b'g') => (&lower[..lower.len() - 1], 1024 * 1024 * 1024),
        _ => (lower.as_str(), 1),
    };
    Ok(digits
        .parse::<u64>()
        .map_err(|_| format!("size {text:?}"))?
        * scale)
}

#[test]
fn nginx_balances_both_instances_and_forwards_the_client_address() -> TestResult {
    let compose_text = read("deploy/docker-compose.yml")?;
    let compose = load_yaml(&compose_text)?;
    let services = field(&compose, "services")?;
    let instance_port = port_of(
        environment(field(services, INSTANCES[0])?)?
            .get("ROLLCALL_BIND")
            .ok_or("no ROLLCALL_BIND")?,
    )?;
    let proxy_ports = published_container_ports(field(services, "proxy")?)?;

    let config = parse_nginx(&read("deploy/nginx.conf")?)?;
    assert!(
        !directives(&config, "events").is_empty(),
        "nginx.conf replaces the image's whole configuration and needs an events block"
    );
    let http = one_block(&config, "http", &[])?;

    // Every location sends requests to one upstream that names both instances.
    let server = one_block(http, "server", &[])?;
    let listen = value(server, "listen").ok_or("the server block has no listen")?;
    let listen_port: u16 = listen.rsplit(':').next().unwrap_or(listen).parse()?;
    assert!(
        proxy_ports.contains(&listen_port),
        "nginx listens on {listen_port}, compose publishes {proxy_ports:?}"
    );
    let location = one_block(server, "location", &["/"])?;
    let target = value(location, "proxy_pass").ok_or("location / has no proxy_pass")?;
    let upstream_name = target
        .strip_prefix("http://")
        .ok_or_else(|| format!("proxy_pass {target:?} is not http://"))?
        .trim_end_matches('/');
    let upstream = one_block(http, "upstream", &[upstream_name])?;
    let servers: BTreeSet<&str> = directives(upstream, "server")
        .into_iter()
        .filter_map(|d| d.args.first().map(String::as_str))
        .collect();
    let expected: BTreeSet<String> = INSTANCES
        .iter()
        .map(|name| format!("{name}:{instance_port}"))
        .collect();
    assert_eq!(
        servers,
        expected.iter().map(String::as_str).collect(),
        "the upstream {upstream_name:?} does not name both instances on their port"
    );

    // proxy_set_header is inherited only by levels that set none of their own.
    let headers_block = [location, server, http]
        .into_iter()
        .find(|b| !directives(b, "proxy_set_header").is_empty())
        .ok_or("no proxy_set_header anywhere")?;
    let headers: BTreeMap<String, String> = directives(headers_block, "proxy_set_header")
        .into_iter()
        .filter_map(|d| match d.args.as_slice() {
            [name, value] => Some((name.to_ascii_lowercase(), value.clone())),
            _ => None,
        })
        .collect();
    for (name, expected) in [
        ("x-forwarded-for", "$proxy_add_x_forwarded_for"),
        ("x-forwarded-proto", "$scheme"),
    ] {
        assert_eq!(
            headers.get(name).map(String::as_str),
            Some(expected),
            "proxy_set_header {name}"
        );
    }
    assert!(headers.contains_key("host"), "the Host header is not set");

    // Room for Rollcall's own 413 just past its limit, and not much more.
    let body = nginx_size(
        [location, server, http]
            .into_iter()
            .find_map(|b| value(b, "client_max_body_size"))
            .ok_or("no client_max_body_size")?,
    )?;
    assert!(
        (BODY_LIMIT..=2 * BODY_LIMIT).contains(&body),
        "client_max_body_size is {body} bytes; Rollcall takes up to {BODY_LIMIT}"
    );
    Ok(())
}

// --- Dockerfile ----------------------------------------------------------------------------

/// One Dockerfile instruction, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

const DOCKERFILE_KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

fn parse_dockerfile(text: &str) -> TestResult<Vec<Instruction>> {
    let mut instructions = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        // Comments (and parser directives) are whole lines, skipped also inside a
        // continuation, like empty lines.
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (start, mut joined) = pending.take().unwrap_or((number + 1, String::new()));
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                joined.push_str(part);
                joined.push(' ');
                pending = Some((start, joined));
            }
            None => {
                joined.push_str(trimmed);
                let (keyword, args) = joined
                    .split_once(char::is_whitespace)
                    .unwrap_or((joined.as_str(), ""));
                let keyword = keyword.to_ascii_uppercase();
                if !DOCKERFILE_KEYWORDS.contains(&keyword.as_str()) {
                    return Err(
                        format!("Dockerfile line {start}: unknown instruction {keyword}").into(),
                    );
                }
                instructions.push(Instruction {
                    keyword,
                    args: args.trim().to_owned(),
                });
            }
        }
    }
    if pending.is_some() {
        return Err("Dockerfile: the last instruction ends with a continuation".into());
    }
    Ok(instructions)
}

/// The build stages: each starts at a `FROM`.
fn stages(instructions: &[Instruction]) -> TestResult<Vec<&[Instruction]>> {
    let starts: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, i)| i.keyword == "FROM")
        .map(|(n, _)| n)
        .collect();
    let first = *starts.first().ok_or("Dockerfile: no FROM")?;
    if instructions[..first].iter().any(|i| i.keyword != "ARG") {
        return Err("Dockerfile: only ARG may come before the first FROM".into());
    }
    Ok(starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(instructions.len());
            &instructions[start..end]
        })
        .collect())
}

/// The last instruction `keyword` of a stage.
fn last<'a>(stage: &'a [Instruction], keyword: &str) -> TestResult<&'a str> {
    stage
        .iter()
        .rev()
        .find(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .ok_or_else(|| format!("the stage has no {keyword}").into())
}

/// An exec-form (JSON array) argument list.
fn exec_form(args: &str) -> TestResult<Vec<String>> {
    serde_json::from_str(args.trim())
        .map_err(|e| format!("{args:?} is not in exec (JSON) form: {e}").into())
}

/// The variables a stage's `ENV` instructions set (`KEY=value` pairs, or the old `KEY value`).
fn stage_env(stage: &[Instruction]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for instruction in stage.iter().filter(|i| i.keyword == "ENV") {
        let args = instruction.args.trim();
        match args.split_once(char::is_whitespace) {
            Some((key, value)) if !key.contains('=') => {
                env.insert(key.to_owned(), value.trim().to_owned());
            }
            _ => {
                for pair in args.split_whitespace() {
                    if let Some((key, value)) = pair.split_once('=') {
                        env.insert(key.to_owned(), value.trim_matches('"').to_owned());
                    }
                }
            }
        }
    }
    env
}

/// `FROM image [AS name]`: the image and the stage's name.
fn from_line(stage: &[Instruction]) -> TestResult<(String, Option<String>)> {
    let args: Vec<&str> = last(stage, "FROM")?
        .split_whitespace()
        .filter(|a| !a.starts_with("--platform"))
        .collect();
    match args.as_slice() {
        [image] => Ok(((*image).to_owned(), None)),
        [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
            Ok(((*image).to_owned(), Some((*name).to_owned())))
        }
        _ => Err(format!("FROM {args:?}").into()),
    }
}

/// The channel that rust-toolchain.toml pins (`1.95.0`).
fn pinned_toolchain() -> TestResult<String> {
    let text = read("rust-toolchain.toml")?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("channel"))
        .filter_map(|rest| rest.trim().strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .next()
        .ok_or_else(|| "rust-toolchain.toml pins no channel".into())
}

#[test]
fn dockerfile_builds_in_a_rust_stage_with_the_pinned_toolchain() -> TestResult {
    let text = read("Dockerfile")?;
    assert_eq!(
        text.lines().next(),
        Some("# syntax=docker/dockerfile:1"),
        "RUN --mount needs the dockerfile:1 syntax directive on the first line"
    );
    let instructions = parse_dockerfile(&text)?;
    let stages = stages(&instructions)?;
    assert_eq!(
        stages.len(),
        2,
        "expected a build stage and a runtime stage"
    );

    let (builder_image, builder_name) = from_line(stages[0])?;
    let toolchain = pinned_toolchain()?;
    let minor = toolchain.split('.').take(2).collect::<Vec<_>>().join(".");
    assert_eq!(
        builder_image,
        format!("rust:{minor}-bookworm"),
        "the builder image must match rust-toolchain.toml ({toolchain})"
    );
    let builds = stages[0].iter().filter(|i| i.keyword == "RUN").any(|i| {
        i.args.contains("--mount=type=cache")
            && i.args
                .contains("cargo build --release -p rollcall-server --locked")
    });
    assert!(
        builds,
        "no cached `cargo build --release -p rollcall-server --locked`"
    );

    let (runtime_image, _) = from_line(stages[1])?;
    assert_eq!(runtime_image, "debian:bookworm-slim");
    let builder_name = builder_name.ok_or("the build stage has no name")?;
    let copies_binary = stages[1].iter().filter(|i| i.keyword == "COPY").any(|i| {
        i.args.starts_with(&format!("--from={builder_name} "))
            && i.args.ends_with(" /usr/local/bin/rollcall")
    });
    assert!(
        copies_binary,
        "the runtime stage does not copy the binary to /usr/local/bin"
    );

    // The package and binary names the build relies on.
    let server = read("crates/server/Cargo.toml")?;
    assert!(server.contains("name = \"rollcall-server\""));
    assert!(server.contains("name = \"rollcall\""));
    Ok(())
}

#[test]
fn the_image_runs_unprivileged_with_its_data_in_a_volume() -> TestResult {
    let instructions = parse_dockerfile(&read("Dockerfile")?)?;
    let stages = stages(&instructions)?;
    let runtime = stages.last().ok_or("no stage")?;

    let user = last(runtime, "USER")?;
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        !uid.is_empty() && uid != "root" && uid != "0",
        "the image runs as {user:?}"
    );
    // The account created in the image is the one USER names, or the volume's directory
    // would belong to someone else.
    let creates_user = runtime.iter().filter(|i| i.keyword == "RUN").any(|i| {
        i.args.contains("useradd")
            && (i.args.contains(&format!("--uid {uid} "))
                || i.args.contains(&format!(" -u {uid} ")))
    });
    assert!(creates_user, "no useradd creates uid {uid}");

    let volumes: Vec<String> = runtime
        .iter()
        .filter(|i| i.keyword == "VOLUME")
        .flat_map(|i| exec_form(&i.args).unwrap_or_else(|_| vec![i.args.clone()]))
        .collect();
    assert!(
        volumes.iter().any(|v| v == "/var/lib/rollcall"),
        "no VOLUME /var/lib/rollcall: {volumes:?}"
    );

    let env = stage_env(runtime);
    let url = env
        .get("ROLLCALL_DATABASE_URL")
        .ok_or("the image sets no ROLLCALL_DATABASE_URL")?;
    let database = absolute_sqlite_path(url)?;
    assert!(
        database.starts_with("/var/lib/rollcall"),
        "the database {database:?} is outside the volume"
    );
    let bind = env
        .get("ROLLCALL_BIND")
        .ok_or("the image sets no ROLLCALL_BIND")?;
    assert!(bind.starts_with("0.0.0.0:"), "the image binds {bind:?}");
    assert_eq!(last(runtime, "EXPOSE")?, port_of(bind)?.to_string());
    assert_eq!(
        env.get("ROLLCALL_LOG_FORMAT").map(String::as_str),
        Some("json")
    );
    Ok(())
}

#[test]
fn the_image_checks_its_health_with_rollcall_healthcheck() -> TestResult {
    let instructions = parse_dockerfile(&read("Dockerfile")?)?;
    let stages = stages(&instructions)?;
    let runtime = stages.last().ok_or("no stage")?;

    let healthcheck = last(runtime, "HEALTHCHECK")?;
    let mut options = BTreeMap::new();
    let mut rest = healthcheck.trim();
    while let Some(option) = rest.strip_prefix("--") {
        let (option, after) = option
            .split_once(char::is_whitespace)
            .unwrap_or((option, ""));
        let (name, value) = option
            .split_once('=')
            .ok_or_else(|| format!("HEALTHCHECK option --{option} has no value"))?;
        options.insert(name.to_owned(), seconds(value)?);
        rest = after.trim_start();
    }
    let command = rest
        .strip_prefix("CMD")
        .ok_or_else(|| format!("HEALTHCHECK has no CMD: {healthcheck:?}"))?;
    let command = exec_form(command)?;
    assert_eq!(
        command.get(..2),
        Some(&["rollcall".to_owned(), "healthcheck".to_owned()][..]),
        "the health check runs {command:?}"
    );
    for name in ["interval", "timeout", "start-period"] {
        assert!(options.contains_key(name), "HEALTHCHECK sets no --{name}");
    }
    assert!(
        options["timeout"] > HEALTHCHECK_COMMAND_TIMEOUT,
        "HEALTHCHECK --timeout must exceed the command's own {HEALTHCHECK_COMMAND_TIMEOUT} s"
    );

    assert_eq!(exec_form(last(runtime, "ENTRYPOINT")?)?, ["rollcall"]);
    assert_eq!(exec_form(last(runtime, "CMD")?)?, ["serve"]);
    assert_eq!(last(runtime, "STOPSIGNAL")?, "SIGTERM");
    Ok(())
}

#[test]
fn dockerignore_leaves_out_build_output_but_not_what_cargo_needs() -> TestResult {
    let text = read(".dockerignore")?;
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let normalised: Vec<&str> = patterns
        .iter()
        .map(|p| p.trim_start_matches('/').trim_end_matches('/'))
        .collect();
    for excluded in ["target", ".git", "data"] {
        assert!(
            normalised.contains(&excluded),
            ".dockerignore lets {excluded} in"
        );
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "rust-toolchain.toml",
        ".cargo",
        "crates",
        "migrations",
        "tests",
    ] {
        assert!(
            !normalised.iter().any(|p| *p == needed
                || p.starts_with(&format!("{needed}/"))
                || *p == "*"
                || *p == "**"),
            ".dockerignore leaves out {needed}, which the build needs"
        );
    }
    Ok(())
}

// --- deploy/rollcall.service ---------------------------------------------------------------

/// A systemd unit file: its sections, each with its assignments in order (a key may repeat).
#[derive(Debug, Default)]
struct Unit {
    sections: BTreeMap<String, Vec<(String, String)>>,
}

impl Unit {
    fn parse(text: &str) -> TestResult<Self> {
        let mut unit = Self::default();
        let mut section: Option<String> = None;
        let mut pending = String::new();
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            // Comment lines are skipped, also between continuation lines.
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if let Some(part) = trimmed.strip_suffix('\\') {
                pending.push_str(part);
                pending.push(' ');
                continue;
            }
            let logical = std::mem::take(&mut pending) + trimmed;
            if logical.is_empty() {
                continue;
            }
            if let Some(name) = logical.strip_prefix('[') {
                let name = name
                    .strip_suffix(']')
                    .ok_or_else(|| format!("line {}: unclosed section header", number + 1))?;
                unit.sections.entry(name.to_owned()).or_default();
                section = Some(name.to_owned());
                continue;
            }
            let (key, value) = logical
                .split_once('=')
                .ok_or_else(|| format!("line {}: neither [Section] nor Key=Value", number + 1))?;
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("line {}: bad key {key:?}", number + 1).into());
            }
            let section = section
                .as_ref()
                .ok_or_else(|| format!("line {}: an assignment before any section", number + 1))?;
            unit.sections
                .entry(section.clone())
                .or_default()
                .push((key.to_owned(), value.trim().to_owned()));
        }
        if !pending.is_empty() {
            return Err("the last line ends with a continuation".into());
        }
        Ok(unit)
    }

    /// Every value assigned to `key` in `section`, in order.
    fn all(&self, section: &str, key: &str) -> Vec<&str> {
        self.sections
            .get(section)
            .into_iter()
            .flatten()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value that counts for a single-valued `key`: the last one.
    fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.all(section, key).last().copied()
    }

    /// A boolean setting, in any of systemd's spellings.
    fn flag(&self, section: &str, key: &str) -> Option<bool> {
        match self.get(section, key)?.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" => Some(true),
            "no" | "false" | "off" | "0" => Some(false),
            _ => None,
        }
    }

    /// The variables set by `Environment=` lines (`KEY=value` words, quotes allowed).
    fn environment(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for line in self.all("Service", "Environment") {
            let mut words = Vec::new();
            let mut word = String::new();
            let mut quote = None;
            for c in line.chars() {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, c) if c.is_whitespace() => words.push(std::mem::take(&mut word)),
                    (_, c) => word.push(c),
                }
            }
            words.push(word);
            for pair in words.into_iter().filter(|w| !w.is_empty()) {
                if let Some((k, v)) = pair.split_once('=') {
                    env.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        env
    }
}

fn service_unit() -> TestResult<Unit> {
    Unit::parse(&read("deploy/rollcall.service")?)
}

#[test]
fn the_unit_parses_and_runs_rollcall_serve_as_a_service_account() -> TestResult {
    let unit = service_unit()?;
    for section in ["Unit", "Service", "Install"] {
        assert!(
            unit.sections.contains_key(section),
            "no [{section}] section"
        );
    }
    assert_eq!(
        unit.get("Service", "ExecStart"),
        Some("/usr/local/bin/rollcall serve")
    );
    let kind = unit.get("Service", "Type").unwrap_or("simple");
    assert!(matches!(kind, "simple" | "exec"), "Type={kind}");
    let user = unit.get("Service", "User");
    let dynamic = unit.flag("Service", "DynamicUser") == Some(true);
    assert!(
        dynamic || user.is_some_and(|u| !u.is_empty() && u != "root" && u != "0"),
        "the unit runs as {user:?} and without DynamicUser"
    );
    assert_eq!(unit.get("Service", "Restart"), Some("on-failure"));
    assert!(
        unit.get("Service", "EnvironmentFile")
            .is_some_and(|f| f.trim_start_matches('-') == "/etc/rollcall/rollcall.env"),
        "no EnvironmentFile=-/etc/rollcall/rollcall.env"
    );
    assert_eq!(unit.get("Install", "WantedBy"), Some("multi-user.target"));
    let stop = seconds(unit.get("Service", "TimeoutStopSec").unwrap_or("90s"))?;
    assert!(
        stop > SHUTDOWN_TIMEOUT,
        "TimeoutStopSec={stop} cuts the drain short"
    );
    Ok(())
}

#[test]
fn the_unit_is_hardened() -> TestResult {
    let unit = service_unit()?;
    for key in [
        "NoNewPrivileges",
        "ProtectHome",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "MemoryDenyWriteExecute",
    ] {
        assert_eq!(unit.flag("Service", key), Some(true), "{key}= is not yes");
    }
    for (key, expected) in [
        ("ProtectSystem", "strict"),
        ("SystemCallArchitectures", "native"),
        ("CapabilityBoundingSet", ""),
        ("UMask", "0077"),
    ] {
        assert_eq!(unit.get("Service", key), Some(expected), "{key}=");
    }
    let families: BTreeSet<&str> = unit
        .all("Service", "RestrictAddressFamilies")
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect();
    assert_eq!(
        families,
        BTreeSet::from(["AF_INET", "AF_INET6", "AF_UNIX"]),
        "RestrictAddressFamilies="
    );
    let filters = unit.all("Service", "SystemCallFilter");
    assert!(
        filters.contains(&"@system-service"),
        "SystemCallFilter={filters:?}"
    );
    let denied: BTreeSet<&str> = filters
        .iter()
        .filter_map(|f| f.strip_prefix('~'))
        .flat_map(str::split_whitespace)
        .collect();
    for set in ["@privileged", "@resources"] {
        assert!(
            denied.contains(set),
            "SystemCallFilter= does not deny {set}"
        );
    }
    Ok(())
}

#[test]
fn the_unit_can_write_its_database_despite_protect_system_strict() -> TestResult {
    let unit = service_unit()?;
    let state = unit
        .get("Service", "StateDirectory")
        .ok_or("no StateDirectory=")?;
    let state_dir = Path::new("/var/lib").join(state);
    let writable: Vec<PathBuf> = std::iter::once(state_dir.clone())
        .chain(
            unit.all("Service", "ReadWritePaths")
                .into_iter()
                .flat_map(str::split_whitespace)
                .map(|p| PathBuf::from(p.trim_start_matches('-'))),
        )
        .collect();
    let env = unit.environment();
    let url = env
        .get("ROLLCALL_DATABASE_URL")
        .ok_or("the unit sets no ROLLCALL_DATABASE_URL")?;
    let database = absolute_sqlite_path(url)?;
    assert!(
        database
            .parent()
            .is_some_and(|dir| writable.iter().any(|w| dir.starts_with(w))),
        "{database:?} (with its -wal and -shm files) is not in a writable directory: {writable:?}"
    );
    if let Some(dir) = unit.get("Service", "WorkingDirectory") {
        assert_eq!(Path::new(dir), state_dir, "WorkingDirectory=");
    }
    Ok(())
}

// --- docs ----------------------------------------------------------------------------------

#[test]
fn operations_md_describes_every_packaging_file() -> TestResult {
    let docs = read("docs/operations.md")?;
    let (_, section) = docs
        .split_once("\n## Packaging: container, compose, systemd\n")
        .ok_or("docs/operations.md has no packaging section")?;
    let section = section.split("\n## ").next().unwrap_or(section);
    for file in [
        "Dockerfile",
        ".dockerignore",
        "deploy/docker-compose.yml",
        "deploy/nginx.conf",
        "deploy/rollcall.service",
        "rollcall healthcheck",
    ] {
        assert!(
            section.contains(file),
            "the packaging section does not mention {file}"
        );
    }
    Ok(())
}
