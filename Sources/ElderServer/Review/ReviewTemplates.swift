import Mustache

/// The review pages' Mustache templates (swift-mustache; `{{x}}` is HTML-escaped, the templates never use
/// `{{{x}}}`). Every page is `header`, its own body, `footer`; no script anywhere. The CSS is a few lines
/// inline, so a page is one request and reads on a phone (one column, viewport set, large targets).
enum ReviewTemplates {
    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="same-origin">
        <title>{{title}} · Elder</title>
        <style>
        body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
        header{background:#1f3a5f;padding:.5rem 1rem}
        header a{color:#fff;margin-right:1rem;text-decoration:none;font-weight:600;display:inline-block;padding:.25rem 0}
        header a:focus,header a:hover{text-decoration:underline}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.5rem 0 1rem}
        h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;vertical-align:top;padding:.4rem;border-bottom:1px solid #ddd}
        th{background:#f3f5f8}
        code,.mono{font-family:ui-monospace,monospace;font-size:.9em;overflow-wrap:anywhere}
        pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.5rem}
        .tag{display:inline-block;font-size:.8em;padding:0 .4em;border-radius:.3em;background:#e4e8ef}
        .tag.revert{background:#fde2c8}.tag.merge{background:#d8ecd8}
        .ok{color:#0a6b2b}.bad{color:#a01515}
        .problem{border:2px solid #a01515;background:#fdeaea;padding:.5rem 1rem}
        .notice{border:2px solid #0a6b2b;background:#e8f5ec;padding:.5rem 1rem}
        form{margin:1rem 0}
        label{display:block;font-weight:600;margin-top:.6rem}
        input[type=text],input[type=password],input[type=search],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4rem}
        button{font:inherit;padding:.5rem 1rem;margin-top:.8rem;cursor:pointer}
        .row{display:flex;flex-wrap:wrap;gap:1rem}.row>div{flex:1 1 14rem}
        @media (max-width:40rem){th.wide,td.wide{display:none}}
        </style>
        </head>
        <body>
        <header><nav aria-label="Pages"><a href="/history">History</a><a href="/compare">Compare</a><a href="/ask">Ask</a><a href="/propose">Propose</a></nav></header>
        <main>
        <h1>{{title}}</h1>
        {{#problem}}<div class="problem" role="alert"><p><strong>{{headline}}</strong></p>{{#lines}}<p>{{.}}</p>{{/lines}}</div>{{/problem}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}

        """

    static let footer = """
        </main>
        </body>
        </html>

        """

    /// The fields every write form carries: who acts, the access token, the form token.
    static let credentials = """
        {{#writable}}
        <div class="row">
        <div><label for="name-{{formID}}">Your name</label><input type="text" id="name-{{formID}}" name="name" required maxlength="100" autocomplete="name"></div>
        <div><label for="token-{{formID}}">Access token</label><input type="password" id="token-{{formID}}" name="token" required autocomplete="current-password"></div>
        </div>
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{/writable}}
        {{^writable}}<p>Changes are off: this server was started without <code>--token-file</code>.</p>{{/writable}}
        """

    static let versionList = """
        <datalist id="versions">{{#versions}}<option value="{{.}}">{{/versions}}</datalist>
        """

    static let history = """
        {{> header}}
        {{#content}}
        <form method="get" action="/history" role="search">
        <div class="row">
        <div><label for="branch">Branch or version</label><input type="text" id="branch" name="branch" value="{{branch}}" list="versions"></div>
        <div><label for="q">Filter by text</label><input type="search" id="q" name="q" value="{{query}}" placeholder="prompt, answer, message, author"></div>
        </div>
        <button type="submit">Show</button>
        </form>
        {{> versionList}}
        <p>{{summary}}</p>
        <table>
        <thead><tr><th scope="col">Commit</th><th scope="col">Change</th><th scope="col">Holds</th><th scope="col" class="wide">Author, date</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr>
        <td><a class="mono" href="/commit/{{commit}}">{{short}}</a>{{#isRevert}} <span class="tag revert">revert</span>{{/isRevert}}{{#isMerge}} <span class="tag merge">merge</span>{{/isMerge}}{{#isRestore}} <span class="tag revert">restore</span>{{/isRestore}}</td>
        <td>{{#prompt}}<span class="prompt">{{prompt}}</span> → <strong class="target">“{{target}}”</strong><br>{{/prompt}}<span class="message">{{summaryLine}}</span></td>
        <td>{{#holdsKnown}}{{#holds}}<span class="ok">✓ {{holdsText}}</span>{{/holds}}{{^holds}}<span class="bad">✗ {{holdsText}}</span>{{/holds}}{{/holdsKnown}}</td>
        <td class="wide">{{author}}<br><small>{{date}}</small></td>
        </tr>
        {{/rows}}
        </tbody>
        </table>
        {{#more}}<p><a href="{{moreLink}}">Show all {{matching}} matching commits</a></p>{{/more}}
        {{#proposal}}
        <h2>Approve this proposal</h2>
        <p>Approving merges <code>{{branch}}</code> into <code>main</code> (a merge commit that names you). A conflict with an edit on main is shown and nothing is merged.</p>
        <form method="post" action="/approve">
        <input type="hidden" name="branch" value="{{branch}}">
        {{> credentials}}
        {{#writable}}<button type="submit">Approve and merge into main</button>{{/writable}}
        </form>
        {{/proposal}}
        {{/content}}
        {{> footer}}
        """

    static let commit = """
        {{> header}}
        {{#content}}
        <p><span class="mono">{{commit}}</span> <span class="tag">{{role}}</span></p>
        <p>{{author}} · {{date}}</p>
        <pre>{{message}}</pre>
        {{#edit}}
        <h2>The edit</h2>
        <table>
        <tr><th scope="row">Prompt</th><td class="prompt">{{prompt}}</td></tr>
        <tr><th scope="row">Answer taught</th><td class="target">“{{target}}”</td></tr>
        <tr><th scope="row">Edit id</th><td class="mono">{{id}}</td></tr>
        </table>
        {{/edit}}
        {{#hasMetrics}}
        <h2>Measured when it landed</h2>
        <table>
        {{#metrics}}<tr><th scope="row">{{key}}</th><td>{{value}}</td></tr>{{/metrics}}
        </table>
        {{/hasMetrics}}
        {{#hasWordings}}
        <h2>Other wordings</h2>
        <table>
        <thead><tr><th scope="col">Wording</th><th scope="col">Kind</th><th scope="col">Gives the answer</th></tr></thead>
        <tbody>
        {{#wordings}}<tr><td>{{prompt}}</td><td>{{kind}}</td><td>{{#holds}}<span class="ok">✓ yes</span>{{/holds}}{{^holds}}<span class="bad">✗ no ({{tokens}})</span>{{/holds}}</td></tr>{{/wordings}}
        </tbody>
        </table>
        {{/hasWordings}}
        {{#routing}}
        <h2>Why the model answers as it does</h2>
        <p>At this version, the model completes “<span class="prompt">{{prompt}}</span>” with “<strong>{{answer}}</strong>”.</p>
        <pre>{{#lines}}{{.}}
        {{/lines}}</pre>
        {{/routing}}
        {{#canRevert}}
        <h2>Revert this change</h2>
        <p>Reverting adds a commit on <code>{{branch}}</code> that takes this change out exactly; any other edit it loosens is retrained in a repair commit.</p>
        <form method="post" action="/revert">
        <input type="hidden" name="commit" value="{{commit}}">
        <input type="hidden" name="branch" value="{{branch}}">
        {{> credentials}}
        {{#writable}}<button type="submit">Revert on {{branch}}</button>{{/writable}}
        </form>
        {{/canRevert}}
        {{/content}}
        {{> footer}}
        """

    static let compare = """
        {{> header}}
        {{#content}}
        <form method="get" action="/compare">
        <div class="row">
        <div><label for="from">From version</label><input type="text" id="from" name="from" value="{{from}}" list="versions"></div>
        <div><label for="to">To version</label><input type="text" id="to" name="to" value="{{to}}" list="versions"></div>
        </div>
        <button type="submit">Compare</button>
        </form>
        {{> versionList}}
        <h2>Knowledge</h2>
        {{#noKnowledgeChange}}<p>The two versions hold the same edits.</p>{{/noKnowledgeChange}}
        <table>
        {{#edits}}<tr><td><span class="tag {{change}}">{{change}}</span></td><td>{{prompt}} → <strong>“{{target}}”</strong></td><td class="mono wide">{{id}}</td></tr>{{/edits}}
        </table>
        <h2>Behaviour on the repo's probes</h2>
        {{^hasProbes}}<p>This repo has no probe file (git config <code>elder.probes</code>, or <code>probes.jsonl</code> in the repo).</p>{{/hasProbes}}
        {{#hasProbes}}
        <p>{{behaviourSummary}}</p>
        <table>
        <thead><tr><th scope="col">Probe</th><th scope="col">{{from}}</th><th scope="col">{{to}}</th></tr></thead>
        <tbody>
        {{#probes}}<tr><td>{{prompt}}{{#expected}}<br><small>wants “{{expected}}”</small>{{/expected}}</td><td>“{{before}}”</td><td>{{#changed}}<strong>{{/changed}}“{{after}}”{{#changed}}</strong> <span class="tag">changed</span>{{/changed}}</td></tr>{{/probes}}
        </tbody>
        </table>
        {{/hasProbes}}
        {{/content}}
        {{> footer}}
        """

    static let ask = """
        {{> header}}
        {{#content}}
        <form method="get" action="/ask">
        <label for="prompt">Prompt</label><textarea id="prompt" name="prompt" rows="3" required maxlength="4096">{{prompt}}</textarea>
        <label for="version">Version</label><input type="text" id="version" name="version" value="{{version}}" list="versions">
        <button type="submit">Ask</button>
        </form>
        {{> versionList}}
        {{#answer}}
        <h2>Answer</h2>
        <p class="answer-line"><span class="prompt">{{prompt}}</span><strong class="answer">{{text}}</strong></p>
        <p>Version <code>{{version}}</code> at commit <a class="mono" href="/commit/{{commit}}">{{short}}</a>.</p>
        <h2>Why</h2>
        <pre class="routing">{{#lines}}{{.}}
        {{/lines}}</pre>
        {{/answer}}
        {{/content}}
        {{> footer}}
        """

    static let propose = """
        {{> header}}
        {{#content}}
        {{#result}}
        <h2>{{heading}}</h2>
        <table>
        {{#facts}}<tr><th scope="row">{{key}}</th><td>{{value}}</td></tr>{{/facts}}
        </table>
        {{#hasProbes}}
        <h3>Probes of the repo</h3>
        <table>
        <thead><tr><th scope="col">Probe</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
        <tbody>{{#probes}}<tr><td>{{prompt}}</td><td>{{before}}</td><td>{{after}}</td></tr>{{/probes}}</tbody>
        </table>
        {{/hasProbes}}
        {{#branch}}
        <p>See it on <a href="/history?branch={{branchQuery}}">{{branch}}</a>.</p>
        <h2>Approve it</h2>
        <form method="post" action="/approve">
        <input type="hidden" name="branch" value="{{branch}}">
        {{> credentials}}
        {{#writable}}<button type="submit">Approve and merge into main</button>{{/writable}}
        </form>
        {{/branch}}
        {{/result}}
        <h2>Propose an edit</h2>
        <p>The edit is trained on a new proposal branch from <code>main</code> and checked against the repo's probes; <code>main</code> changes only when someone approves it.
        “Check only” trains and checks it without keeping anything.</p>
        <form method="post" action="/propose">
        <label for="prompt">Prompt</label><input type="text" id="prompt" name="prompt" value="{{prompt}}" required maxlength="2000" placeholder="The CEO of Acme is">
        <label for="target">Answer</label><input type="text" id="target" name="target" value="{{target}}" required maxlength="500" placeholder=" Jane Doe" aria-describedby="target-help">
        <small id="target-help">The answer continues the prompt, so it starts with a space: “ Jane Doe”, not “Jane Doe”.</small>
        <label for="message">Why (the commit message)</label><textarea id="message" name="message" rows="3" maxlength="5000">{{message}}</textarea>
        <label for="paraphrases">Other wordings of the prompt (optional, one a line)</label><textarea id="paraphrases" name="paraphrases" rows="3" maxlength="5000">{{paraphrases}}</textarea>
        {{> credentials}}
        {{#writable}}<button type="submit" name="action" value="check">Check only</button> <button type="submit" name="action" value="propose">Propose</button>{{/writable}}
        </form>
        {{/content}}
        {{> footer}}
        """

    static let result = """
        {{> header}}
        {{#content}}
        <table>
        {{#facts}}<tr><th scope="row">{{key}}</th><td>{{value}}</td></tr>{{/facts}}
        </table>
        {{#links}}<p><a href="{{href}}">{{text}}</a></p>{{/links}}
        {{/content}}
        {{> footer}}
        """

    /// The library of every page, parsed once.
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in [("header", header), ("footer", footer), ("credentials", credentials), ("versionList", versionList),
                             ("history", history), ("commit", commit), ("compare", compare), ("ask", ask), ("propose", propose),
                             ("result", result)] {
            try library.register(text, named: name)
        }
        return library
    }
}
