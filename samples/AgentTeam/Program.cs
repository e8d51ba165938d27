// A planner agent and three specialists on the embedded model, in-process, as a Microsoft Agent
// Framework workflow (README.md). usage: dotnet run -c Release --project samples/AgentTeam -- ["goal"] [--approve ask|all|none]
return await AgentTeam.AgentTeamApp.RunAsync(args, Console.In, Console.Out, Console.Error);
