//! The status page in headless Chromium (Debian's `chromium`), driven over the DevTools protocol
//! on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4 out, NUL-terminated JSON): the page
//! shows every band, live updates arrive over the event stream, and a mouse click on "Find"
//! makes the emulated band vibrate. A phone-sized screenshot is kept in
//! `<target>/test-artifacts/api-page.png`.

#[path = "support/remote.rs"]
mod remote;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use remote::{artifacts_dir, Collector, Options};
use serde_json::{json, Value};

fn chromium() -> &'static str {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if std::path::Path::new(p).exists() {
            return p;
        }
    }
    panic!("chromium not found (scripts/ensure-deps installs Debian's chromium)");
}

struct Browser {
    child: Child,
    input: ChildStdin,
    output: mpsc::Receiver<Value>,
    pending: VecDeque<Value>,
    next_id: u64,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let cmd = format!(
            "exec {} --headless --no-sandbox --disable-gpu --no-first-run \
             --disable-background-networking --disable-component-update --disable-sync \
             --disable-default-apps --mute-audio --user-data-dir={} --remote-debugging-pipe \
             3<&0 4>&1 </dev/null >/dev/null",
            chromium(),
            profile.path().display()
        );
        let mut child = Command::new("bash")
            .args(["-c", &cmd])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let input = child.stdin.take().unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            loop {
                let mut buf = Vec::new();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        buf.pop();
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                            if tx.send(v).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        Browser {
            child,
            input,
            output: rx,
            pending: VecDeque::new(),
            next_id: 1,
            session: None,
            _profile: profile,
        }
    }

    /// Sends a command (to the attached page, once there is one) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match self.output.recv_timeout(Duration::from_millis(200)) {
                Ok(v) if v["id"] == id => {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
                Ok(v) => self.pending.push_back(v),
                Err(_) => {}
            }
        }
        panic!("no answer to {method}");
    }

    /// Waits for an event.
    fn event(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|v| v["method"] == method) {
            return self.pending.remove(i).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(v) = self.output.recv_timeout(Duration::from_millis(200)) {
                if v["method"] == method {
                    return v;
                }
                self.pending.push_back(v);
            }
        }
        panic!("no {method}");
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        r["result"]["value"].clone()
    }

    fn open(&mut self, url: &str) {
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        self.session = attached["sessionId"].as_str().map(String::from);
        self.call("Page.enable", json!({}));
        self.call("Runtime.enable", json!({}));
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": true}),
        );
        self.call("Page.navigate", json!({"url": url}));
        self.event("Page.loadEventFired");
    }

    /// A real mouse click at the centre of the element `selector` selects.
    fn click(&mut self, selector: &str) {
        let rect = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView(); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            sel = serde_json::to_string(selector).unwrap()
        ));
        let (x, y) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    fn wait_for(&mut self, expression: &str, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let v = self.eval(expression);
            if v != Value::Null && v != json!(false) && v != json!("") {
                return v;
            }
            if Instant::now() >= deadline {
                let page = self
                    .eval("location.href + ' ' + document.documentElement.outerHTML.slice(0, 600)");
                panic!("{what}: page never showed it (last {v}); page: {page}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_every_band_and_find_makes_the_band_vibrate() {
    let c = Collector::start(Options {
        bands: 3,
        ..Options::default()
    })
    .await;
    c.wait_all_up().await;
    let url = format!("{}/", c.base());
    let names = c.names.clone();
    let target = c.macs[1].clone();
    let vibrations = |c: &Collector| {
        c.radio
            .band(target.parse().unwrap())
            .unwrap()
            .with_band(|b| b.actions().vibration_starts())
    };
    assert_eq!(vibrations(&c), 0);

    let (shown, live, b) = {
        let target = target.clone();
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut b = Browser::start();
            b.open(&url);
            let shown = b.eval(
                "[...document.querySelectorAll('.band')].map(e => [e.dataset.mac, e.querySelector('.name').textContent])",
            );
            let live = b.wait_for(
                "document.getElementById('live').textContent === 'live updates: on' && document.getElementById('live').textContent",
                "live updates on",
            );
            b.click(&format!(".band[data-mac=\"{target}\"] button[data-action=\"find\"]"));
            (shown, live, b)
        })
        .await
        .unwrap()
    };
    let shown = shown.as_array().unwrap().clone();
    assert_eq!(shown.len(), 3, "{shown:?}");
    for (mac, name) in c.macs.iter().zip(&names) {
        assert!(
            shown
                .iter()
                .any(|s| s[0] == json!(mac) && s[1] == json!(name)),
            "{mac} {name} not on the page: {shown:?}"
        );
    }
    assert_eq!(live, json!("live updates: on"));

    // The click queued a find job; the emulated band vibrates.
    remote::wait_until(Duration::from_secs(60), || async { vibrations(&c) > 0 }).await;
    let (b, job_text) = tokio::task::spawn_blocking(move || {
        let mut b = b;
        let t = b.wait_for(
            &format!(
                "(() => {{ const t = document.querySelector('.band[data-mac=\"{target}\"] [data-field=job]').textContent; return t.startsWith('find: ') && t; }})()"
            ),
            "the find job",
        );
        let shot = b.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(artifacts_dir().join("api-page.png"), &png).unwrap();
        (b, t)
    })
    .await
    .unwrap();
    assert!(
        job_text.as_str().unwrap().starts_with("find: "),
        "{job_text}"
    );
    drop(b);
    let png = std::fs::read(artifacts_dir().join("api-page.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    c.stop().await;
}
