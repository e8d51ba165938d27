// The chat page at / (wwwroot: index.html, style.css, app.js, embedded in the assembly so `serve`
// needs no content root) and /chat/config, the settings the page starts from (the model
// directory's generation_config.json: thinking, temperature; whether images can be attached).
using System.Reflection;
using Microsoft.AspNetCore.Http;
using SharpSeek.Server.Hosting;

namespace SharpSeek.Server.Api;

public static class ChatPage
{
    private static readonly Dictionary<string, (string Resource, string Type)> Files = new()
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/chat/style.css"] = ("style.css", "text/css; charset=utf-8"),
        ["/chat/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
    };

    public static IEnumerable<string> Paths => Files.Keys;

    public static IResult File(string path)
    {
        var (resource, type) = Files[path];
        using Stream s = typeof(ChatPage).Assembly.GetManifestResourceStream("wwwroot/" + resource)
            ?? throw new InvalidOperationException($"the chat page resource {resource} is missing from the server assembly");
        using var reader = new StreamReader(s);
        return Results.Text(reader.ReadToEnd(), type);
    }

    public static IResult Config(ServingContext engine) => Results.Json(new
    {
        model = engine.Options.ModelId,
        thinking = engine.Options.Defaults.Thinking,
        temperature = engine.Options.Defaults.Temperature,
        vision = ImagePrompt.Supported(engine), // the page's image attach button is enabled only then
        max_image_bytes = engine.Options.MaxBodyBytes * 3 / 4 - 4096, // base64 grows an image by 4/3 inside the request body
    }, ApiJson.Options);
}
