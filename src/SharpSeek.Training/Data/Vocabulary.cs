// Word lists of the synthetic corpus: names, places, objects, filler sentences and story parts.
namespace SharpSeek.Training.Data;

internal static class Vocabulary
{
    public static readonly string[] Names = ["Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo", "Iris", "Jack", "Kira", "Leo", "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Yara", "Zoe"];
    public static readonly string[] Cities = ["Paris", "Tokyo", "London", "Lima", "Cairo", "Oslo", "Delhi", "Rome", "Seoul", "Sydney", "Berlin", "Madrid", "Nairobi", "Toronto", "Dublin", "Lisbon"];
    public static readonly string[] Animals = ["cat", "dog", "fox", "owl", "bear", "hare", "wolf", "duck", "frog", "deer", "crow", "mouse"];
    public static readonly string[] Colors = ["red", "blue", "green", "gold", "gray", "pink", "white", "black", "amber", "teal"];
    public static readonly string[] Objects = ["lamp", "key", "map", "book", "box", "kite", "ring", "coin", "shell", "bell", "cup", "drum"];
    public static readonly string[] Places = ["forest", "river", "village", "garden", "hill", "market", "library", "harbor", "castle", "meadow"];
    public static readonly string[] Feelings = ["happy", "curious", "tired", "brave", "calm", "proud", "worried", "glad"];
    public static readonly string[] Fillers =
    [
        "The grass is green.", "The sky is blue.", "The sun is warm today.", "Birds sing in the morning.",
        "Water flows down the hill.", "The road goes on and on.", "Clouds drift slowly by.", "The wind is soft.",
        "Trees grow tall in the forest.", "The river is calm and wide.", "Stars shine at night.", "Rain falls on the roof.",
        "The market is busy at noon.", "A cat sleeps by the door.", "The old bridge is made of stone.", "Snow covers the mountain.",
    ];
}
