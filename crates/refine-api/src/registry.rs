//! The registry's types and the one dispatch function every transport calls.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{LazyLock, OnceLock};

use futures::future::BoxFuture;
use refine_core::{Core, Ctx, Mutated};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use specta::Type;

/// Query (reads), mutation (writes through the pipeline) or long-running (202 + receipt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Query,
    Mutation,
    LongRunning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
    /// Whether the method changes state (and so needs a JSON body type).
    pub fn is_mutating(self) -> bool {
        self != Method::Get
    }
}

/// The answer of an operation on any transport.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The answer as JSON text, serialized once straight from the handler's output (no
    /// intermediate `Value`: for a page of 500 Goals that tree was most of the request's work).
    pub body: Box<RawValue>,
    pub replayed: bool,
}

impl Reply {
    /// The answer as a JSON value, for callers that take it apart.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.body.get()).unwrap_or(Value::Null)
    }
}

type Handler =
    Box<dyn Fn(Core, Ctx, Value) -> BoxFuture<'static, Result<Reply, ApiError>> + Send + Sync>;
type TypeFn = fn(&mut specta::Types) -> specta::datatype::DataType;

/// Verbs of operations that end, undo or replace something.
const DESTRUCTIVE_VERBS: &[&str] = &[
    "cancel", "close", "decline", "delete", "merge", "remove", "restart", "revert", "revoke",
    "shutdown", "stop",
];

/// What a caller may assume about an operation's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    /// Changes nothing.
    pub read_only: bool,
    /// May end, undo or overwrite something (rather than only add).
    pub destructive: bool,
    /// Repeating the same call has no further effect.
    pub idempotent: bool,
}

/// One declared operation.
pub struct OpDef {
    pub name: &'static str,
    pub kind: OpKind,
    pub method: Method,
    /// Axum-style path, `{param}` segments filled from the input's fields of that name.
    pub path: &'static str,
    pub doc: &'static str,
    /// Exposed as an MCP tool to agents.
    pub mcp: bool,
    /// Answers without the token (only `system.health`).
    pub public: bool,
    /// A larger request body limit than the default 1 MiB (imports of whole trackers).
    pub max_body: Option<usize>,
    /// Has a `refine` command.
    pub cli: bool,
    pub input_schema: fn() -> Value,
    pub output_schema: fn() -> Value,
    pub input_type: TypeFn,
    pub output_type: TypeFn,
    handler: Handler,
    /// [`OpDef::input_schema_value`], made the first time it is asked for.
    input_schema_made: OnceLock<Value>,
}

impl OpDef {
    /// The input's JSON schema, made once (each HTTP request reads it to take path and query
    /// parameters apart; making it is a walk of the input type by schemars).
    pub fn input_schema_value(&self) -> &Value {
        self.input_schema_made.get_or_init(self.input_schema)
    }
    /// The names of `{param}` segments of the path.
    pub fn path_params(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect()
    }
    /// The MCP tool name (`apps.add` → `apps_add`).
    pub fn tool_name(&self) -> String {
        self.name.replace('.', "_")
    }
    /// What a caller may assume about the operation's effect (MCP tool annotations).
    pub fn effect(&self) -> Effect {
        let read_only = self.kind == OpKind::Query;
        let verb = self.name.rsplit('.').next().unwrap_or_default();
        // Overwrites (PUT/PATCH), removals and verbs that end or undo something; creating,
        // starting and asking add to what is there.
        let destructive = !read_only
            && (matches!(self.method, Method::Put | Method::Patch | Method::Delete)
                || DESTRUCTIVE_VERBS.contains(&verb)
                || verb.starts_with("bulk_update"));
        Effect {
            read_only,
            destructive,
            idempotent: read_only || matches!(self.method, Method::Put | Method::Delete),
        }
    }
    pub fn info(&self) -> OperationInfo {
        OperationInfo {
            name: self.name.to_string(),
            kind: self.kind,
            method: self.method,
            path: self.path.to_string(),
            doc: self.doc.to_string(),
            mcp: self.mcp,
            public: self.public,
            input_schema: (self.input_schema)(),
            output_schema: (self.output_schema)(),
        }
    }
}

/// An operation as listed by `system.operations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationInfo {
    pub name: String,
    pub kind: OpKind,
    pub method: Method,
    pub path: String,
    pub doc: String,
    pub mcp: bool,
    pub public: bool,
    #[specta(type = specta_typescript::Unknown)]
    pub input_schema: Value,
    #[specta(type = specta_typescript::Unknown)]
    pub output_schema: Value,
}

fn schema_of<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

fn type_of<T: Type>(types: &mut specta::Types) -> specta::datatype::DataType {
    T::definition(types)
}

/// Decode an operation's input, with serde's precise message as a 400.
pub(crate) fn decode<I: DeserializeOwned>(value: Value) -> Result<I, ApiError> {
    // A missing body means "no fields".
    let value = if value.is_null() {
        Value::Object(Default::default())
    } else {
        value
    };
    serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("invalid input: {e}")))
}

fn encode<O: Serialize>(o: &O) -> Result<Box<RawValue>, ApiError> {
    serde_json::value::to_raw_value(o).map_err(|e| {
        tracing::error!(error = %e, "output did not serialize");
        ApiError::internal("internal error")
    })
}

/// A typed handle of one operation: its route and doc, and the types of its input and output.
/// Each is declared once (`crate::ops::<group>::<NAME>`); the registry binds its handler with
/// [`Op::handle`], and clients call through it (`refine_client::Client::run`), so a renamed
/// operation or a changed input or output type fails to compile wherever it is used.
pub struct Op<I, O> {
    pub name: &'static str,
    pub kind: OpKind,
    pub method: Method,
    /// Axum-style path, `{param}` segments filled from the input's fields of that name.
    pub path: &'static str,
    pub doc: &'static str,
    /// Exposed as an MCP tool to agents.
    pub mcp: bool,
    /// Answers without the token.
    pub public: bool,
    /// A larger request body limit than the default 1 MiB.
    pub max_body: Option<usize>,
    /// Has a `refine` command (all but what only a browser or a probe calls).
    pub cli: bool,
    io: PhantomData<fn(I) -> O>,
}

impl<I, O> Clone for Op<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, O> Copy for Op<I, O> {}

impl<I, O> Op<I, O> {
    const fn new(
        kind: OpKind,
        name: &'static str,
        method: Method,
        path: &'static str,
        doc: &'static str,
        mcp: bool,
    ) -> Op<I, O> {
        Op {
            name,
            kind,
            method,
            path,
            doc,
            mcp,
            public: false,
            max_body: None,
            cli: true,
            io: PhantomData,
        }
    }
    /// A read: answers 200 with its output.
    pub const fn query(
        name: &'static str,
        method: Method,
        path: &'static str,
        doc: &'static str,
        mcp: bool,
    ) -> Op<I, O> {
        Op::new(OpKind::Query, name, method, path, doc, mcp)
    }
    /// A write through the mutation pipeline: 200 with its output.
    pub const fn mutation(
        name: &'static str,
        method: Method,
        path: &'static str,
        doc: &'static str,
        mcp: bool,
    ) -> Op<I, O> {
        Op::new(OpKind::Mutation, name, method, path, doc, mcp)
    }
    /// Work that outlives the request: 202 with an operation receipt.
    pub const fn long_running(
        name: &'static str,
        method: Method,
        path: &'static str,
        doc: &'static str,
        mcp: bool,
    ) -> Op<I, O> {
        Op::new(OpKind::LongRunning, name, method, path, doc, mcp)
    }
    /// Answers without the token.
    pub const fn public(mut self) -> Op<I, O> {
        self.public = true;
        self
    }
    /// No `refine` command calls it (only a browser or a probe does).
    pub const fn no_cli(mut self) -> Op<I, O> {
        self.cli = false;
        self
    }
    pub const fn max_body(mut self, bytes: usize) -> Op<I, O> {
        self.max_body = Some(bytes);
        self
    }
}

/// What a handler answers: a query's output, or a mutation's [`Mutated`] output.
pub(crate) trait Answer<O> {
    /// Whether it came through the mutation pipeline.
    const MUTATION: bool;
    fn reply(self) -> Result<Reply, ApiError>;
}

impl<O: Serialize> Answer<O> for O {
    const MUTATION: bool = false;
    fn reply(self) -> Result<Reply, ApiError> {
        Ok(Reply {
            status: 200,
            body: encode(&self)?,
            replayed: false,
        })
    }
}

impl<O: Serialize> Answer<O> for Mutated<O> {
    const MUTATION: bool = true;
    fn reply(self) -> Result<Reply, ApiError> {
        Ok(Reply {
            status: self.status,
            body: encode(&self.value)?,
            replayed: self.replayed,
        })
    }
}

impl<I, O> Op<I, O>
where
    I: DeserializeOwned + JsonSchema + Type + Send + 'static,
    O: Serialize + JsonSchema + Type + 'static,
{
    /// Bind the handler: the one form every declaration takes. A query's handler answers its
    /// output; a mutation's answers what the pipeline returned.
    pub(crate) fn handle<F, Fut, A>(self, f: F) -> OpDef
    where
        F: Fn(Core, Ctx, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A, ApiError>> + Send + 'static,
        A: Answer<O> + 'static,
    {
        assert_eq!(
            A::MUTATION,
            self.kind != OpKind::Query,
            "{}: a query answers its output, a mutation goes through the pipeline",
            self.name
        );
        let handler: Handler = Box::new(move |core, ctx, input| match decode::<I>(input) {
            Err(e) => Box::pin(async move { Err(e) }),
            Ok(i) => {
                let fut = f(core, ctx, i);
                Box::pin(async move { fut.await?.reply() })
            }
        });
        OpDef {
            name: self.name,
            kind: self.kind,
            method: self.method,
            path: self.path,
            doc: self.doc,
            mcp: self.mcp,
            public: self.public,
            max_body: self.max_body,
            cli: self.cli,
            input_schema: schema_of::<I>,
            output_schema: schema_of::<O>,
            input_type: type_of::<I>,
            output_type: type_of::<O>,
            handler,
            input_schema_made: OnceLock::new(),
        }
    }
}

static REGISTRY: LazyLock<Vec<OpDef>> = LazyLock::new(crate::ops::all);

/// Every registered operation, in declaration order.
pub fn registry() -> &'static [OpDef] {
    &REGISTRY
}

pub fn find(name: &str) -> Option<&'static OpDef> {
    registry().iter().find(|o| o.name == name)
}

/// Run an operation by name with a JSON input: the one entry point of every transport.
pub async fn dispatch(
    core: &Core,
    mut ctx: Ctx,
    name: &str,
    input: Value,
) -> Result<Reply, ApiError> {
    let op = find(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "unknown operation {name:?}; `refine call --list` lists them"
        ))
    })?;
    // The core records and keys the request's writes under this name.
    ctx.op = op.name;
    let started = std::time::Instant::now();
    let reply = (op.handler)(core.clone(), ctx, input).await;
    let code = reply.as_ref().err().map(|e| {
        serde_json::to_value(e.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    });
    core.metrics()
        .observe(op.name, started.elapsed(), code.as_deref());
    reply
}
