using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace SpanRecovery.Tests.Restore;

/// <summary>
/// A loopback HTTP server (HttpListener on a free port) that plays a backend's query API: the script answers the
/// n-th request (1-based, arrival order) for a path with a status and a JSON body, as the API's documentation
/// says the real one does.
/// </summary>
internal sealed class QueryApiServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, int, (int Status, string Body)> _script;
    private readonly ConcurrentDictionary<string, int> _asked = new();
    private readonly Task _loop;

    public QueryApiServer(Func<string, int, (int Status, string Body)> script)
    {
        _script = script;
        var port = OtlpTestReceiver.FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/base/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>The API's base URL (with a path, as behind a reverse proxy).</summary>
    public Uri Url { get; }

    /// <summary>The X-Scope-OrgID (tenant) header of every request, null where there was none.</summary>
    public ConcurrentQueue<string?> Tenants { get; } = new();

    /// <summary>How often each path was asked for.</summary>
    public IReadOnlyDictionary<string, int> Asked => _asked;

    public async ValueTask DisposeAsync()
    {
        // Close alone: Stop then Close removes the prefixes twice, and the second removal binds the port
        // again for a moment, which fails when a closed connection still holds it (Address already in use).
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            var path = context.Request.Url!.AbsolutePath;
            Tenants.Enqueue(context.Request.Headers["X-Scope-OrgID"]);
            var (status, body) = _script(path, _asked.AddOrUpdate(path, 1, (_, n) => n + 1));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
