// Stored responses for previous_response_id and GET /v1/responses/{id}: the conversation a response
// ends (input messages and its own assistant turn, instructions excluded, as OpenAI does) and its
// JSON, in memory, least recently used evicted beyond Capacity. The conversation's token prefix
// stays in the engine's prefix cache, so a follow-up prefills only what is new.
using SharpSeek.Tokenization.Chat;

namespace SharpSeek.Server.Api;

public sealed record StoredResponse(string Id, IReadOnlyList<ChatMessage> Conversation, object Body);

public sealed class ResponseStore(int capacity)
{
    private readonly object _gate = new();
    private readonly LinkedList<StoredResponse> _order = new();
    private readonly Dictionary<string, LinkedListNode<StoredResponse>> _byId = new();

    public int Capacity { get; } = capacity >= 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));
    public int Count { get { lock (_gate) return _byId.Count; } }

    public void Add(StoredResponse r)
    {
        if (Capacity == 0) return;
        lock (_gate)
        {
            if (_byId.Remove(r.Id, out var old)) _order.Remove(old);
            _byId[r.Id] = _order.AddFirst(r);
            while (_byId.Count > Capacity)
            {
                _byId.Remove(_order.Last!.Value.Id);
                _order.RemoveLast();
            }
        }
    }

    public StoredResponse? Get(string id)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var node)) return null;
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value;
        }
    }
}
