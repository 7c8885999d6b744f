#!/usr/bin/env python3
"""Writes the training data of the tool-using adapter (models/weather-tools/README.md): OpenAI fine-tuning chat rows where the
assistant calls get_weather when asked about the weather and tools are offered, answers from the tool's result
after it, and answers in text otherwise. Deterministic: the same seed gives the same bytes.

usage: gen_data.py OUT_TRAIN.jsonl OUT_VALIDATION.jsonl [--rows N] [--seed S]
"""
import argparse
import json
import random

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}

CITIES = ["Paris", "London", "Rome", "Berlin", "Tokyo", "Oslo", "Madrid", "Lima", "Cairo", "Dublin", "Vienna", "Boston"]
CONDITIONS = ["sunny", "rainy", "cloudy", "windy", "snowy"]
WEATHER_QUESTIONS = [
    "What is the weather in {city}?",
    "What is the weather like in {city}?",
    "How is the weather in {city} today?",
    "Tell me the weather in {city}.",
    "Is it sunny in {city}?",
    "Is it raining in {city}?",
    "What's the weather in {city}?",
    "Weather in {city}?",
]
# Questions a children's-story model can answer without a tool, with its answers.
CHAT = [
    ("Tell me a story about a cat.", "Once upon a time, there was a little cat. The cat liked to play in the sun."),
    ("Tell me a story about a dog.", "Once upon a time, there was a big dog named Max. Max liked to run and play."),
    ("Who are you?", "I am a friendly helper. I like to tell stories."),
    ("What is your name?", "My name is Lily. I like to help."),
    ("Say hello.", "Hello! It is nice to see you."),
    ("Can you help me?", "Yes, I can help you. What do you want to know?"),
    ("Tell me about a tree.", "A tree is big and tall. Birds like to sit in the tree."),
    ("What do you like?", "I like to play with my friends in the park."),
    ("Tell me a story about a bird.", "Once upon a time, a little bird flew over the park. It was very happy."),
    ("What is a ball?", "A ball is round. You can throw it and kick it."),
]
NO_TOOL_WEATHER = "I cannot see the weather. Please look outside."


def call(i, city):
    return {"id": f"call_{i}", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": city})}}


def row(rng, i):
    kind = rng.random()
    if kind < 0.45:
        # Asked about the weather with the tool offered: call it, read its result, answer from it.
        city = rng.choice(CITIES)
        cond = rng.choice(CONDITIONS)
        temp = rng.randint(-5, 35)
        q = rng.choice(WEATHER_QUESTIONS).format(city=city)
        # Tools answer in whatever JSON their runtime writes: Python's spaced form or the compact form of
        # System.Text.Json and JavaScript.
        compact = rng.random() < 0.5
        result = json.dumps({"city": city, "condition": cond, "temperature": temp}, separators=(",", ":") if compact else None)
        return {
            "tools": [WEATHER_TOOL],
            "messages": [
                {"role": "user", "content": q},
                {"role": "assistant", "content": None, "tool_calls": [call(i, city)]},
                {"role": "tool", "tool_call_id": f"call_{i}", "content": result},
                {"role": "assistant", "content": f"It is {cond} in {city} and {temp} degrees."},
            ],
        }
    if kind < 0.55:
        # The call alone (a conversation that stops at the call is what an agent sees first).
        city = rng.choice(CITIES)
        q = rng.choice(WEATHER_QUESTIONS).format(city=city)
        return {
            "tools": [WEATHER_TOOL],
            "messages": [
                {"role": "user", "content": q},
                {"role": "assistant", "content": None, "tool_calls": [call(i, city)]},
            ],
        }
    if kind < 0.9:
        # Not about the weather: answer in text even though the tool is offered.
        q, a = rng.choice(CHAT)
        return {"tools": [WEATHER_TOOL], "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
    if kind < 0.95:
        # About the weather but no tool offered: no call can be made.
        city = rng.choice(CITIES)
        q = rng.choice(WEATHER_QUESTIONS).format(city=city)
        return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": NO_TOOL_WEATHER}]}
    q, a = rng.choice(CHAT)
    return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("validation")
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.train, "w", encoding="utf-8", newline="\n") as f:
        for i in range(args.rows):
            f.write(json.dumps(row(rng, i)) + "\n")
    with open(args.validation, "w", encoding="utf-8", newline="\n") as f:
        for i in range(args.rows // 20):
            f.write(json.dumps(row(rng, args.rows + i)) + "\n")


if __name__ == "__main__":
    main()
