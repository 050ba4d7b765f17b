//! A local server speaking the OpenAI chat-completions wire format, to test the AI provider
//! against: it answers well, answers garbage, fails with 500 or answers too late, and keeps
//! the requests it received.

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// A valid JSON object with one suggestion.
    Good,
    /// HTTP 200 whose message content is not JSON.
    Garbage,
    /// JSON that breaks the rules (markup, too many items).
    Unsafe,
    /// HTTP 500.
    ServerError,
    /// A good answer after 3 seconds.
    Slow,
    /// A good answer after 100 ms (work that takes a moment).
    Brief,
    /// No answer for ten minutes (a worker stuck mid-job).
    Hang,
    /// HTTP 500 for the first request, good answers after it.
    FailOnce,
}

pub const SUGGESTION: &str = "Try a 20-minute walk after dinner on most days.";
/// The reply a streamed chat completion spells out, piece by piece.
pub const STREAMED_REPLY: &str = "Drink water through the day and more when it is hot.";

/// The summary a report analysis gets from a well-behaved provider.
pub const REPORT_SUMMARY: &str = "Your glucose is a little above the range printed on the report; the other values are within range.";

#[derive(Default)]
struct State {
    behaviour: Option<Behaviour>,
    requests: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeAi {
    /// The API root to put in AI_BASE_URL.
    pub url: String,
    state: Arc<Mutex<State>>,
}

async fn completions(state: web::Data<Arc<Mutex<State>>>, body: web::Json<Value>) -> HttpResponse {
    let streaming = body["stream"] == true;
    let behaviour = {
        let mut state = state.lock().unwrap();
        state.requests.push(body.into_inner());
        let behaviour = state.behaviour.unwrap_or(Behaviour::Good);
        if behaviour == Behaviour::FailOnce {
            state.behaviour = Some(Behaviour::Good);
        }
        behaviour
    };
    if streaming {
        return stream(behaviour).await;
    }
    // Report analysis asks for a summary; assessment enrichment for recommendations.
    let wants_summary = body_text(&state, |requests| {
        requests
            .last()
            .and_then(|r| r["messages"][0]["content"].as_str())
            .is_some_and(|s| s.contains("lab results"))
    });
    let good = move || {
        if wants_summary {
            json!({ "summary": REPORT_SUMMARY }).to_string()
        } else {
            json!({ "recommendations": [SUGGESTION] }).to_string()
        }
    };
    let answer = |content: String| {
        HttpResponse::Ok().json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70 }
        }))
    };
    match behaviour {
        Behaviour::Good => answer(good()),
        Behaviour::Garbage => answer("Sure! Here are some tips: walk more.".into()),
        Behaviour::Unsafe => {
            answer(json!({ "recommendations": ["<script>x</script>", "a", "b", "c"] }).to_string())
        }
        Behaviour::ServerError => HttpResponse::InternalServerError().body("upstream exploded"),
        Behaviour::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            answer(good())
        }
        Behaviour::Brief => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            answer(good())
        }
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            answer(good())
        }
        Behaviour::FailOnce => HttpResponse::InternalServerError().body("upstream hiccup"),
    }
}

/// A streamed completion as server-sent events, the way the behaviour asks.
async fn stream(behaviour: Behaviour) -> HttpResponse {
    let chunk = |text: &str| {
        format!(
            "data: {}\n\n",
            json!({ "id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "test-model",
                    "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }] })
        )
    };
    let pieces: Vec<String> = STREAMED_REPLY.split_inclusive(' ').map(&chunk).collect();
    let usage = format!(
        "data: {}\n\n",
        json!({ "id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": [],
                "usage": { "prompt_tokens": 42, "completion_tokens": 11, "total_tokens": 53 } })
    );
    let (events, pause): (Vec<String>, Duration) = match behaviour {
        Behaviour::Good | Behaviour::Brief | Behaviour::Unsafe => {
            let mut events = vec![": keep-alive comment\n\n".to_owned()];
            events.extend(pieces);
            events.push(usage);
            events.push("data: [DONE]\n\n".into());
            (events, Duration::from_millis(5))
        }
        Behaviour::Garbage => (
            vec![
                chunk("Hello "),
                "data: {not json\n\n".into(),
                "data: [DONE]\n\n".into(),
            ],
            Duration::from_millis(5),
        ),
        Behaviour::Slow => (pieces, Duration::from_millis(1500)),
        Behaviour::ServerError | Behaviour::FailOnce => {
            return HttpResponse::InternalServerError().body("upstream exploded");
        }
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return HttpResponse::Ok().finish();
        }
    };
    let body = futures_util::stream::unfold(events.into_iter(), move |mut events| async move {
        let event = events.next()?;
        tokio::time::sleep(pause).await;
        Some((Ok::<_, std::io::Error>(web::Bytes::from(event)), events))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .streaming(body)
}

fn body_text(state: &Arc<Mutex<State>>, read: impl FnOnce(&[Value]) -> bool) -> bool {
    read(&state.lock().unwrap().requests)
}

/// `GET /models` in OpenAI's list format: the models the tests name.
async fn models() -> HttpResponse {
    let data: Vec<Value> = ["test-model", "model-a", "model-b"]
        .iter()
        .map(|id| json!({ "id": id, "object": "model", "owned_by": "echo-tests" }))
        .collect();
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

impl FakeAi {
    pub fn start(behaviour: Behaviour) -> Self {
        let state = Arc::new(Mutex::new(State {
            behaviour: Some(behaviour),
            requests: Vec::new(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/v1/chat/completions", web::post().to(completions))
                .route("/v1/models", web::get().to(models))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/v1"),
            state,
        }
    }

    /// Answers from now on as `behaviour`.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = Some(behaviour);
    }

    pub fn requests(&self) -> Vec<Value> {
        self.state.lock().unwrap().requests.clone()
    }
}
